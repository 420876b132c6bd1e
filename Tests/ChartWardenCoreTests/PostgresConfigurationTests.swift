import Foundation
import Testing
@testable import ChartWardenCore
import PostgresStorage

@Suite("storage.postgres in the configuration")
struct PostgresConfigurationTests {
    static func withStorage(_ storage: String) -> String {
        ConfigurationTests.minimal + "\nstorage:\n" + storage
    }

    static func error(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try ChartWardenConfiguration.parse(yaml: yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func sqliteStaysTheDefault() throws {
        #expect(try ChartWardenConfiguration.parse(yaml: ConfigurationTests.minimal).storage.postgres == nil)
    }

    @Test func urlAndPasswordFileAreParsed() throws {
        let configuration = try ChartWardenConfiguration.parse(yaml: Self.withStorage("""
              dataDir: /var/lib/chartwarden
              postgres:
                url: postgresql://cw@db.internal:5433/charts
                passwordFile: /run/secrets/db
            """))
        let postgres = try #require(configuration.storage.postgres)
        #expect(postgres.url.description == "postgresql://cw@db.internal:5433/charts")
        #expect(postgres.passwordFile == "/run/secrets/db")
        #expect(configuration.storage.dataDirectory == "/var/lib/chartwarden")
    }

    @Test func mistakesNameTheirKey() {
        #expect(Self.error(Self.withStorage("  postgres:\n    url: mysql://cw@db/charts\n"))?.key == "storage.postgres.url")
        #expect(Self.error(Self.withStorage("  postgres:\n    url: postgresql://db/charts\n"))?.key == "storage.postgres.url")
        #expect(Self.error(Self.withStorage("  postgres:\n    passwordFile: /x\n"))?.key == "storage.postgres.url")
        #expect(Self.error(Self.withStorage("  postgres:\n    url: postgresql://cw@db/c\n    password: x\n"))?.key
            == "storage.postgres.password")
    }

    @Test func thePasswordComesFromTheFileThenTheEnvironment() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cw-pw-\(UUID().uuidString)").path
        try Data("from-file\n".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let url = try PostgresURL("postgresql://cw@db/charts")
        let environment = ["CHARTWARDEN_POSTGRES_PASSWORD": "from-env"]
        #expect(try ChartWardenConfiguration.Postgres(url: url, passwordFile: file).password(environment: environment)
            == "from-file")
        #expect(try ChartWardenConfiguration.Postgres(url: url).password(environment: environment) == "from-env")
        #expect(try ChartWardenConfiguration.Postgres(url: url).password(environment: [:]) == nil)
        let missing = ChartWardenConfiguration.Postgres(url: url, passwordFile: file + ".absent")
        #expect(throws: ConfigurationError.self) { try missing.password(environment: environment) }
    }
}

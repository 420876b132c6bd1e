import ArgumentParser
import ChartWardenCore
import Foundation
import OpenPGP

/// `chartwarden keys import|list|distrust|revoke`: the admin API's trust operations on the
/// data directory of a configuration. They write the same SQLite file and GnuPG home as the
/// server; a running server sees trust changes at its next verification, but quarantines made
/// here reach its in-memory index only after a restart (use the admin API on a live server).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Import, list, distrust and revoke signer keys.",
        subcommands: [Import.self, List.self, Distrust.self, Revoke.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "Configuration file (default: $CHARTWARDEN_CONFIG, else config/chartwarden.yaml).")
        var config: String?

        /// Opens the configured store and key material: the core alone, so no TLS material or
        /// htpasswd file is read and nothing listens.
        func openService() throws -> ChartService {
            let path = ConfigurationPath.resolve(config)
            do {
                let configuration = try ChartWardenConfiguration.load(path: path)
                return try ChartService.open(configuration: configuration)
            } catch {
                throw ValidationError("\(path): \(error)")
            }
        }
    }

    static let actor = "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a public key and trust it for a repository.")

        @Argument(help: "Armored or binary public key file.")
        var file: String

        @Option(help: "Repository that will trust the key (\"\" for the root repository).")
        var repo: String

        @OptionGroup var options: Options

        func run() async throws {
            let service = try options.openService()
            guard service.repository(named: repo) != nil else { throw ValidationError("no repository '\(repo)'") }
            let keys = try await service.trust.importKeys(try VerifyCommand.read(file), trustFor: repo, actor: KeysCommand.actor)
            for key in keys { print("\(key.fingerprint) \(key.algorithm) \(key.userIDs.first ?? "") trusted for '\(repo)'") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List known signers as JSON.")

        @OptionGroup var options: Options

        func run() async throws {
            let service = try options.openService()
            let signers = try await service.trust.signerSummaries(nil, withCharts: false)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(["signers": signers]), as: UTF8.self))
        }
    }

    struct Distrust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop trusting a key for a repository.")

        @Argument(help: "The key's fingerprint.")
        var fingerprint: String

        @Option(help: "The repository.")
        var repo: String

        @Flag(help: "Also re-evaluate published charts it signed and quarantine those that no longer pass.")
        var quarantine = false

        @OptionGroup var options: Options

        func run() async throws {
            let service = try options.openService()
            let fingerprint = self.fingerprint.uppercased()
            let repo = self.repo
            try await service.trust.distrust(fingerprint, repository: repo, actor: KeysCommand.actor)
            print("\(fingerprint) is no longer trusted for '\(repo)'")
            if quarantine {
                let quarantined = try await service.trust.reevaluate(signer: fingerprint, repository: repo,
                                                               actor: KeysCommand.actor, cause: "signer distrusted")
                for record in quarantined { print("quarantined \(record.repository)/\(record.name)-\(record.version)") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply a revocation certificate and quarantine what it voids.")

        @Argument(help: "The revocation certificate (.rev).")
        var file: String

        @OptionGroup var options: Options

        func run() async throws {
            let bytes = try VerifyCommand.read(file)
            guard let fingerprint = try RevocationSignature.parse(bytes).first(where: { $0.target == .key })?.issuerFingerprint
            else { throw ValidationError("\(file) holds no key revocation naming its key's fingerprint") }
            let service = try options.openService()
            let revocation = try await service.trust.revoke(fingerprint, certificate: bytes, actor: KeysCommand.actor)
            print("\(fingerprint) revoked (\(revocation.isSoft ? "soft" : "hard")) as of \(ISO8601DateFormatter().string(from: revocation.at))")
            let quarantined = try await service.trust.reevaluate(
                signer: fingerprint, repository: nil, actor: KeysCommand.actor,
                cause: revocation.isSoft ? "signer key retired" : "signer key revoked")
            for record in quarantined { print("quarantined \(record.repository)/\(record.name)-\(record.version)") }
        }
    }
}

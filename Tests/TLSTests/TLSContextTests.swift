import Foundation
import Testing
@testable import TLS

@Suite("TLS context")
struct TLSContextTests {
    static let tlsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../keys-test/tls").standardized.path

    func configuration(clientAuth: TLSConfiguration.ClientAuthentication = .none, ca: String? = nil) -> TLSConfiguration {
        TLSConfiguration(certificateChainPath: Self.tlsDirectory + "/server.crt",
                         privateKeyPath: Self.tlsDirectory + "/server.key", clientCAPath: ca,
                         clientAuthentication: clientAuth)
    }

    @Test func loadsTheTestCertificate() throws {
        _ = try TLSContext(configuration: configuration())
        _ = try TLSContext(configuration: configuration(clientAuth: .required, ca: Self.tlsDirectory + "/ca.crt"))
    }

    @Test func mismatchedKeyIsAConfigurationError() {
        var bad = configuration()
        bad.privateKeyPath = Self.tlsDirectory + "/client-admin.key"
        #expect(throws: TLSError.self) { try TLSContext(configuration: bad) }
        do {
            _ = try TLSContext(configuration: bad)
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("mismatch") || error.message.contains("does not match"))
        }
    }

    @Test func clientAuthWithoutCAIsRefused() {
        #expect(throws: TLSError.self) { try TLSContext(configuration: configuration(clientAuth: .optional)) }
    }

    @Test func missingFileNamesThePath() {
        var bad = configuration()
        bad.certificateChainPath = "/nonexistent/server.crt"
        do {
            _ = try TLSContext(configuration: bad)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("/nonexistent/server.crt"))
        }
    }

    @Test func reloadSwapsTheContext() throws {
        let provider = try TLSContextProvider(configuration: configuration())
        let before = provider.context
        try provider.reload()
        #expect(provider.context !== before)
    }
}

import Foundation
import OpenPGP
import PGPTestSupport
import Testing

@Suite("Revocation certificates")
struct RevocationSignatureTests {
    let revokedAt = ISO8601DateFormatter().date(from: "2025-01-01T00:00:00Z")

    @Test func softRevocationIsSupersededWithItsTime() throws {
        let revocations = try RevocationSignature.parse(try TestSigner.file("soft-revoked-signer.rev.asc"))
        let revocation = try #require(revocations.first)
        #expect(revocations.count == 1)
        #expect(revocation.target == .key)
        #expect(revocation.reason == .superseded && revocation.isSoft)
        #expect(revocation.reasonText == "superseded by a newer key")
        #expect(revocation.created == revokedAt)
        #expect(revocation.issuerFingerprint == (try TestSigner.fingerprint("soft-revoked-signer")))
        #expect(try TestSigner.fingerprint("soft-revoked-signer").hasSuffix(try #require(revocation.issuerKeyID)))
    }

    @Test func hardRevocationIsCompromised() throws {
        let revocation = try #require(try RevocationSignature.parse(try TestSigner.file("hard-revoked-signer.rev.asc")).first)
        #expect(revocation.reason == .compromised && !revocation.isSoft)
        #expect(revocation.created == revokedAt)
    }

    @Test func keysWithoutRevocationsAndGarbage() throws {
        #expect(try RevocationSignature.parse(try TestSigner.publicKey("rsa-signer")).isEmpty)
        #expect(try RevocationSignature.parse(try TestSigner.publicKey("ed25519-signer", binary: true)).isEmpty)
        #expect(throws: OpenPGPError.self) { try RevocationSignature.parse(Array("hello".utf8)) }
        #expect(throws: OpenPGPError.self) { try RevocationSignature.parse([0xC2, 0x10, 0x04]) }
    }

    func revocation(_ reason: RevocationSignature.Reason?, _ day: String) -> RevocationSignature {
        RevocationSignature(target: .key, created: ISO8601DateFormatter().date(from: day + "T00:00:00Z")!, reason: reason,
                            reasonText: "", issuerFingerprint: nil, issuerKeyID: nil)
    }

    @Test func theHardestRevocationDecidesWhateverTheOrder() {
        let softLate = revocation(.superseded, "2100-01-01")
        let softEarly = revocation(.retired, "2025-03-01")
        let hard = revocation(.compromised, "2025-06-01")
        let unexplained = revocation(nil, "2025-09-01")
        #expect(RevocationSignature.effective([softLate, hard]) == hard)
        #expect(RevocationSignature.effective([hard, softLate]) == hard)
        #expect(RevocationSignature.effective([softLate, unexplained, hard]) == hard)
        #expect(RevocationSignature.effective([softLate, unexplained]) == unexplained)
        // Only soft ones: the earliest bounds the signatures that stay valid.
        #expect(RevocationSignature.effective([softLate, softEarly]) == softEarly)
        #expect(RevocationSignature.effective([]) == nil)
    }

    @Test func futureDatedMeansBeyondTheSkew() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z"))
        #expect(revocation(.superseded, "2100-01-01").isFutureDated(now: now, skew: 300))
        #expect(!revocation(.superseded, "2026-01-01").isFutureDated(now: now.addingTimeInterval(-299), skew: 300))
        #expect(!revocation(.compromised, "2025-01-01").isFutureDated(now: now, skew: 300))
    }

    @Test func theIssuerIsNamedByFingerprintOrKeyID() throws {
        let fingerprint = try TestSigner.fingerprint("hard-revoked-signer")
        let genuine = try #require(try RevocationSignature.parse(try TestSigner.file("hard-revoked-signer.rev.asc")).first)
        #expect(genuine.isIssued(by: fingerprint))
        #expect(!genuine.isIssued(by: try TestSigner.fingerprint("soft-revoked-signer")))
        var byKeyID = genuine
        byKeyID.issuerFingerprint = nil
        #expect(byKeyID.isIssued(by: fingerprint))
    }

    @Test func everyIssuerSubpacketMustNameTheKey() throws {
        let fingerprint = try TestSigner.fingerprint("hard-revoked-signer")
        var forged = try #require(try RevocationSignature.parse(try TestSigner.file("hard-revoked-signer.rev.asc")).first)
        forged.namedIssuers = [fingerprint, "1122334455667788"]
        #expect(!forged.isIssued(by: fingerprint))
        forged.namedIssuers = ["v5:" + fingerprint]
        #expect(!forged.isIssued(by: fingerprint))
        forged.namedIssuers = [fingerprint, String(fingerprint.suffix(16))]
        #expect(forged.isIssued(by: fingerprint))
    }

    @Test func theSharedRuleRefusesAFutureRevocationAndKeepsTheHardest() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z"))
        func revocation(_ reason: RevocationSignature.Reason, _ date: String) throws -> RevocationSignature {
            RevocationSignature(target: .key, created: try #require(ISO8601DateFormatter().date(from: date)), reason: reason,
                                reasonText: "", issuerFingerprint: nil, issuerKeyID: nil)
        }
        let soft = try revocation(.superseded, "2025-01-01T00:00:00Z")
        let hard = try revocation(.compromised, "2025-06-01T00:00:00Z")
        #expect(try RevocationSignature.applicable([soft, hard], now: now, skew: 300) == hard)
        #expect(try RevocationSignature.applicable([], now: now, skew: 300) == nil)
        let future = try revocation(.superseded, "2100-01-01T00:00:00Z")
        #expect(throws: OpenPGPError.self) { try RevocationSignature.applicable([hard, future], now: now, skew: 300) }
    }

    @Test("weak signing algorithms are named", arguments: [
        ("rsa1024", true), ("rsa2048", false), ("rsa4096", false), ("dsa1024", true), ("dsa2048", false),
        ("elg2048", true), ("elg4096", true), ("ed25519", false), ("nistp256", false), ("brainpoolP256r1", false),
        ("ed448", false), ("nistp521", false), ("secp256k1", false), ("brainpoolP512r1", false),
        // Off the allowlist: refused by name, not let through for being unknown.
        ("cv25519", true), ("unknown_99", true), ("E_unknown", true), ("rsa", true), ("dsa", true), ("", true),
    ])
    func weakAlgorithms(algorithm: String, weak: Bool) {
        #expect((OpenPGPKey.weakness(algorithm: algorithm) != nil) == weak)
    }
}

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
}

import Foundation
import OpenPGP
import PGPTestSupport
import Testing

@Suite("OpenPGP keyring through GPGME")
struct OpenPGPKeyringTests {
    let keyringHome: ScratchDirectory
    let keyring: OpenPGPKeyring
    let signer: TestSigner

    init() throws {
        keyringHome = try ScratchDirectory(prefix: "cw-keyring")
        keyring = try OpenPGPKeyring(homeDirectory: keyringHome.path)
        signer = try TestSigner()
    }

    @Test func importsArmoredAndBinaryKeysOfEveryKind() throws {
        for name in ["rsa-signer", "ecdsa-signer", "subkey-signer", "expired-signer"] {
            let imported = try keyring.importKeys(try TestSigner.publicKey(name))
            #expect(imported.keys.map(\.fingerprint) == [try TestSigner.fingerprint(name)])
        }
        let binary = try keyring.importKeys(try TestSigner.publicKey("ed25519-signer", binary: true))
        #expect(binary.keys.map(\.fingerprint) == [try TestSigner.fingerprint("ed25519-signer")])

        let rsa = try #require(try keyring.key(try TestSigner.fingerprint("rsa-signer")))
        #expect(rsa.algorithm == "rsa3072")
        #expect(rsa.userIDs == ["rsa-signer (ChartWarden test key) <rsa-signer@test.invalid>"])
        #expect(rsa.expires == nil && !rsa.isRevoked && !rsa.isExpired)
        #expect(try keyring.key(try TestSigner.fingerprint("ecdsa-signer"))?.algorithm == "nistp384")
        let ed25519 = try #require(try keyring.key(try TestSigner.fingerprint("ed25519-signer")))
        #expect(ed25519.algorithm == "ed25519")
        #expect(ed25519.expires == ISO8601DateFormatter().date(from: "2035-06-01T12:00:00Z"))
        let expired = try #require(try keyring.key(try TestSigner.fingerprint("expired-signer")))
        #expect(expired.isExpired)
        // A signing subkey's fingerprint finds its primary key.
        let viaSubkey = try #require(try keyring.key(try TestSigner.fingerprint("subkey-signer", signing: true)))
        #expect(viaSubkey.fingerprint == (try TestSigner.fingerprint("subkey-signer")))
        #expect(viaSubkey.subkeys.count == 2 && viaSubkey.subkeys[1].canSign && !viaSubkey.primary.canSign)
        #expect(try keyring.keys().count == 5)
    }

    @Test func refusesDataThatIsNotAKey() {
        #expect(throws: OpenPGPError.self) { try keyring.importKeys(Array("not a key".utf8)) }
        #expect(throws: OpenPGPError.self) { try keyring.importKeys([]) }
    }

    @Test func verifiesAGoodSignatureAndReturnsTheSignedText() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("ed25519-signer"))
        let message = try signer.clearsign("name: demo\n...\nfiles:\n  demo-1.0.0.tgz: sha256:00\n", with: "ed25519-signer")
        let result = try keyring.verifyClearsigned(message)
        #expect(String(decoding: result.plaintext, as: UTF8.self) == "name: demo\n...\nfiles:\n  demo-1.0.0.tgz: sha256:00\n")
        let signature = try #require(result.signatures.first)
        #expect(result.signatures.count == 1)
        #expect(signature.status == .good)
        #expect(signature.signingKey == (try TestSigner.fingerprint("ed25519-signer")))
        #expect(signature.hashAlgorithm == "SHA512")
        #expect(abs(try #require(signature.created).timeIntervalSinceNow) < 300)
    }

    @Test func reportsBadSignaturesMissingKeysAndWeakHashes() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("rsa-signer"))
        let message = try signer.clearsign("version: 1.0.0\n", with: "rsa-signer")
        var tampered = String(decoding: message, as: UTF8.self)
        tampered = tampered.replacingOccurrences(of: "version: 1.0.0", with: "version: 6.6.6")
        #expect(try keyring.verifyClearsigned(Array(tampered.utf8)).signatures.first?.status == .bad)

        let unknown = try signer.clearsign("x\n", with: "untrusted-signer")
        #expect(try keyring.verifyClearsigned(unknown).signatures.first?.status == .missingKey)

        let sha1 = try signer.clearsign("x\n", with: "rsa-signer", digest: "SHA1")
        #expect(try keyring.verifyClearsigned(sha1).signatures.first?.hashAlgorithm == "SHA1")
    }

    @Test func subkeySignaturesNameTheSubkey() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("subkey-signer"))
        let message = try signer.clearsign("x\n", with: "subkey-signer")
        let signature = try #require(try keyring.verifyClearsigned(message).signatures.first)
        #expect(signature.status == .good)
        #expect(signature.signingKey == (try TestSigner.fingerprint("subkey-signer", signing: true)))
    }

    @Test func expiredAndRevokedKeysStillReportTheCryptographyAndTheTime() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("expired-signer"))
        let old = try signer.clearsign("x\n", with: "expired-signer", time: "20240601T000000")
        let expired = try #require(try keyring.verifyClearsigned(old).signatures.first)
        #expect(expired.status == .good)
        #expect(expired.keyExpiredFlag)
        #expect(expired.created == ISO8601DateFormatter().date(from: "2024-06-01T00:00:00Z"))

        _ = try keyring.importKeys(try TestSigner.publicKey("soft-revoked-signer"))
        let before = try signer.clearsign("x\n", with: "soft-revoked-signer", time: "20240601T000000")
        let imported = try keyring.importKeys(try TestSigner.file("soft-revoked-signer.rev.asc"))
        #expect(imported.newRevocations == 1)
        #expect(try keyring.key(try TestSigner.fingerprint("soft-revoked-signer"))?.isRevoked == true)
        let revoked = try #require(try keyring.verifyClearsigned(before).signatures.first)
        #expect(revoked.status == .good)
        #expect(revoked.keyRevokedFlag)
    }

    @Test func aFutureSignatureReportsItsTime() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("ed25519-signer"))
        let future = try signer.clearsign("x\n", with: "ed25519-signer", time: "20300101T000000")
        let signature = try #require(try keyring.verifyClearsigned(future).signatures.first)
        #expect(signature.created == ISO8601DateFormatter().date(from: "2030-01-01T00:00:00Z"))
    }

    @Test func onlyRevocationsGnuPGValidatedAreRead() throws {
        let fingerprint = try TestSigner.fingerprint("hard-revoked-signer")
        // The file lists a forged "superseded, 2100" signature before the genuine "compromised" one.
        let forgedFirst = try TestSigner.file("hard-revoked-signer.forged-first.rev.asc")
        #expect(try RevocationSignature.parse(forgedFirst).first?.reason == .superseded)

        let checked = try #require(try keyring.check(forgedFirst).first)
        #expect(checked.key.fingerprint == fingerprint)
        #expect(checked.keyRevocations.map(\.reason) == [.compromised])
        #expect(checked.keyRevocations.first?.created == ISO8601DateFormatter().date(from: "2025-01-01T00:00:00Z"))
        // Checked in throwaway homes: this keyring is as it was.
        #expect(try keyring.key(fingerprint) == nil)
        // What may enter a keyring holds the genuine revocation only.
        #expect(try RevocationSignature.parse(checked.cleaned).map(\.reason) == [.compromised])
        try keyring.adopt(checked)
        #expect(try keyring.key(fingerprint)?.isRevoked == true)
    }

    /// A genuine revocation re-dated 2100 whose unhashed issuer key id names a key GnuPG lacks:
    /// GnuPG keeps it unchecked and exports it again, with the hashed issuer fingerprint still
    /// naming the key (the reviewer's attack on GnuPG 2.2.40).
    @Test func aRevocationGnuPGCouldNotCheckNeitherCountsNorEntersTheKeyring() throws {
        let fingerprint = try TestSigner.fingerprint("hard-revoked-signer")
        let poisoned = try TestSigner.file("hard-revoked-signer.foreign-issuer.pub.asc")
        let forged = try #require(try RevocationSignature.parse(poisoned).first)
        #expect(forged.issuerFingerprint == fingerprint && forged.issuerKeyID == "1122334455667788")
        #expect(!forged.isIssued(by: fingerprint))

        let checked = try #require(try keyring.check(poisoned).first)
        #expect(checked.keyRevocations.isEmpty && !checked.key.isRevoked)
        #expect(try RevocationSignature.parse(checked.cleaned).isEmpty)
        try keyring.adopt(checked)
        // The owner's genuine revocation, checked beside the keyring's copy, is the only one seen.
        let revoked = try #require(try keyring.check(try TestSigner.file("hard-revoked-signer.rev.asc"),
                                                     alongside: fingerprint).first)
        #expect(revoked.keyRevocations.map(\.reason) == [.compromised])
        #expect(throws: Never.self) { try revoked.applicableRevocation(now: Date(), skew: 300) }
    }

    @Test func aRevocationForAnotherKeyIsNoRevocationOfThisOne() throws {
        let fingerprint = try TestSigner.fingerprint("soft-revoked-signer")
        _ = try keyring.importKeys(try TestSigner.publicKey("soft-revoked-signer"))
        #expect(throws: OpenPGPError.self) {
            try keyring.check(try TestSigner.file("hard-revoked-signer.rev.asc"), alongside: fingerprint)
        }
        _ = try keyring.importKeys(try TestSigner.publicKey("rsa-signer"))
        #expect(throws: OpenPGPError.self) {
            try keyring.check(try TestSigner.file("soft-revoked-signer.rev.asc"),
                              alongside: try TestSigner.fingerprint("rsa-signer"))
        }
    }

    @Test func aWeakDSAKeyIsReadAndNamedWeak() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("weak-dsa-signer"))
        let key = try #require(try keyring.key(try TestSigner.fingerprint("weak-dsa-signer")))
        #expect(key.algorithm == "dsa1024")
        #expect(key.weakness?.contains("DSA keys need at least 2048 bits") == true)
        _ = try keyring.importKeys(try TestSigner.publicKey("subkey-signer"))
        #expect(try keyring.key(try TestSigner.fingerprint("subkey-signer"))?.weakness == nil)
    }

    @Test func anExpiredSignatureIsGoodCryptographyWithItsExpiry() throws {
        _ = try keyring.importKeys(try TestSigner.publicKey("ed25519-signer"))
        let message = try signer.clearsign("x\n", with: "ed25519-signer", time: "20250701T000000", expiresIn: "1d")
        let signature = try #require(try keyring.verifyClearsigned(message).signatures.first)
        #expect(signature.status == .good)
        #expect(signature.expires == ISO8601DateFormatter().date(from: "2025-07-02T00:00:00Z"))
        #expect(signature.signatureExpiredFlag)
        let fresh = try #require(try keyring.verifyClearsigned(try signer.clearsign("x\n", with: "ed25519-signer")).signatures.first)
        #expect(fresh.expires == nil && !fresh.signatureExpiredFlag)
    }
}

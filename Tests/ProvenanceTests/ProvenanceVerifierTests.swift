import Foundation
import OpenPGP
import OpenSSLSupport
import PGPTestSupport
import Provenance
import Testing

@Suite("Provenance verification")
struct ProvenanceVerifierTests {
    let keyringHome: ScratchDirectory
    let keyring: OpenPGPKeyring
    let signer: TestSigner
    let verifier: ProvenanceVerifier
    let chart = Array("pretend these are the bytes of demo-1.2.3.tgz".utf8)
    var digest: SHA256Digest { SHA256Hasher.hash(chart) }
    let trusted: Set<String>

    init() throws {
        keyringHome = try ScratchDirectory(prefix: "cw-verify")
        keyring = try OpenPGPKeyring(homeDirectory: keyringHome.path)
        signer = try TestSigner()
        for name in ["rsa-signer", "ed25519-signer", "ecdsa-signer", "subkey-signer", "untrusted-signer",
                     "expired-signer", "hard-revoked-signer", "soft-revoked-signer", "weak-dsa-signer"] {
            _ = try keyring.importKeys(try TestSigner.publicKey(name))
        }
        verifier = ProvenanceVerifier(keyring: keyring)
        trusted = try Set(["rsa-signer", "ed25519-signer", "ecdsa-signer", "subkey-signer", "expired-signer",
                           "hard-revoked-signer", "soft-revoked-signer", "weak-dsa-signer"].map { try TestSigner.fingerprint($0) })
    }

    /// Helm's message layout for demo 1.2.3, as `helm package --sign` writes it.
    func body(name: String = "demo", version: String = "1.2.3", file: String? = nil, sum: String? = nil) -> String {
        """
        apiVersion: v2
        description: A demo chart
        name: \(name)
        version: \(version)

        ...
        files:
          \(file ?? "\(name)-\(version).tgz"): \(sum ?? "sha256:" + digest.hex)

        """
    }

    func verify(_ provenance: [UInt8], revocations: [String: SignerStanding.Revocation] = [:],
                now: Date = Date()) -> ProvenanceVerdict {
        verifier.verify(.init(chartName: "demo", chartVersion: "1.2.3", chartDigest: digest, provenance: provenance),
                        now: now) { fingerprint in
            SignerStanding(isTrusted: trusted.contains(fingerprint), revocation: revocations[fingerprint])
        }
    }

    @Test("a correct prov passes for every kind of key", arguments: ["rsa-signer", "ed25519-signer", "ecdsa-signer", "subkey-signer"])
    func passes(key: String) throws {
        let verdict = verify(try signer.clearsign(body(), with: key))
        #expect(verdict.passed, "\(verdict.summary)")
        #expect(verdict.checks.map(\.name) == ProvenanceVerdict.CheckName.allCases)
        #expect(verdict.signerFingerprint == (try TestSigner.fingerprint(key)))
        #expect(verdict.signingKeyFingerprint == (try TestSigner.fingerprint(key, signing: true)))
        #expect(verdict.hashAlgorithm == "SHA512")
        #expect(verdict.chartDigest == "sha256:" + digest.hex)
    }

    func failed(_ verdict: ProvenanceVerdict) -> [String] { verdict.failedChecks }

    @Test func unknownAndUntrustedSigners() throws {
        let other = try TestSigner()
        // A key the server has never seen.
        let strangerHome = try ScratchDirectory(prefix: "cw-empty")
        defer { withExtendedLifetime(strangerHome) {} }
        let stranger = try OpenPGPKeyring(homeDirectory: strangerHome.path)
        let unknown = ProvenanceVerifier(keyring: stranger).verify(
            .init(chartName: "demo", chartVersion: "1.2.3", chartDigest: digest,
                  provenance: try other.clearsign(body(), with: "rsa-signer"))) { _ in SignerStanding(isTrusted: true) }
        #expect(failed(unknown).contains("signature") && failed(unknown).contains("trusted-signer"))
        // Known but not trusted here.
        #expect(failed(verify(try signer.clearsign(body(), with: "untrusted-signer"))) == ["trusted-signer"])
    }

    @Test func tamperedChartBytesOrBody() throws {
        let provenance = try signer.clearsign(body(), with: "ed25519-signer")
        let otherBytes = verifier.verify(.init(chartName: "demo", chartVersion: "1.2.3",
                                               chartDigest: SHA256Hasher.hash(chart + [0]), provenance: provenance)) { _ in
            SignerStanding(isTrusted: true)
        }
        #expect(failed(otherBytes) == ["file-digest"])
        let tampered = String(decoding: provenance, as: UTF8.self).replacingOccurrences(of: "A demo chart", with: "A demo chart!")
        // GnuPG reports neither hash nor time for a bad signature, so those cannot pass either.
        let verdict = verify(Array(tampered.utf8))
        #expect(failed(verdict).first == "signature" && !failed(verdict).contains("file-digest"))
    }

    @Test func anotherChartVersionOrFileName() throws {
        #expect(failed(verify(try signer.clearsign(body(version: "1.2.4"), with: "ed25519-signer")))
            == ["chart-identity", "file-digest"])
        #expect(failed(verify(try signer.clearsign(body(name: "other"), with: "ed25519-signer")))
            == ["chart-identity", "file-digest"])
        #expect(failed(verify(try signer.clearsign(body(file: "demo-1.2.3-renamed.tgz"), with: "ed25519-signer")))
            == ["file-digest"])
        #expect(failed(verify(try signer.clearsign(body(sum: "sha512:abcd"), with: "ed25519-signer"))) == ["file-digest"])
    }

    @Test func weakHash() throws {
        #expect(failed(verify(try signer.clearsign(body(), with: "rsa-signer", digest: "SHA1"))) == ["hash-algorithm"])
    }

    @Test func expiredKey() throws {
        // Made while the key was valid, but the key has expired since.
        let verdict = verify(try signer.clearsign(body(), with: "expired-signer", time: "20240601T000000"))
        #expect(failed(verdict) == ["key-validity"])
        #expect(verdict.check(.keyValidity)?.detail.contains("expired") == true)
    }

    @Test func hardAndSoftRevocations() throws {
        let revokedAt = try #require(ISO8601DateFormatter().date(from: "2025-01-01T00:00:00Z"))
        let hard = try TestSigner.fingerprint("hard-revoked-signer")
        let soft = try TestSigner.fingerprint("soft-revoked-signer")
        let revocations = [hard: SignerStanding.Revocation(at: revokedAt, isSoft: false),
                           soft: SignerStanding.Revocation(at: revokedAt, isSoft: true)]
        let hardBefore = try signer.clearsign(body(), with: "hard-revoked-signer", time: "20240601T000000")
        let softBefore = try signer.clearsign(body(), with: "soft-revoked-signer", time: "20240601T000000")
        let softAfter = try signer.clearsign(body(), with: "soft-revoked-signer")
        #expect(verify(hardBefore).passed && verify(softAfter).passed)  // no revocation known yet
        #expect(failed(verify(hardBefore, revocations: revocations)) == ["revocation"])
        #expect(verify(softBefore, revocations: revocations).passed)
        #expect(failed(verify(softAfter, revocations: revocations)) == ["revocation"])
        // Once GnuPG holds the revocation, a key without ChartWarden's record counts as hard.
        _ = try keyring.importKeys(try TestSigner.file("soft-revoked-signer.rev.asc"))
        #expect(failed(verify(softBefore)) == ["revocation"])
        #expect(verify(softBefore, revocations: revocations).passed)
    }

    @Test func futureSignature() throws {
        let verdict = verify(try signer.clearsign(body(), with: "ed25519-signer", time: "20300101T000000"))
        #expect(failed(verdict) == ["signature-time"])
        // Within the five-minute skew it is accepted.
        let now = try #require(ISO8601DateFormatter().date(from: "2029-12-31T23:57:00Z"))
        #expect(!failed(verify(try signer.clearsign(body(), with: "ed25519-signer", time: "20300101T000000"), now: now))
            .contains("signature-time"))
    }

    @Test func textAroundOrASecondBlock() throws {
        let provenance = String(decoding: try signer.clearsign(body(), with: "ed25519-signer"), as: UTF8.self)
        #expect(failed(verify(Array((provenance + "files:\n  evil.tgz: sha256:00\n").utf8))) == ["envelope"])
        #expect(failed(verify(Array(("Not signed\n" + provenance).utf8))) == ["envelope"])
        let second = String(decoding: try signer.clearsign(body(version: "9.9.9"), with: "ed25519-signer"), as: UTF8.self)
        #expect(failed(verify(Array((provenance + second).utf8))).contains("envelope"))
        #expect(verify(Array((provenance + "\n\n").utf8)).passed)
    }

    @Test func bodiesThatAreNotHelmsLayout() throws {
        #expect(failed(verify(try signer.clearsign("name: demo\nversion: 1.2.3\n", with: "ed25519-signer")))
            == ["body-layout", "chart-identity", "file-digest"])
        let extra = body() + "images:\n  x: y\n"
        #expect(failed(verify(try signer.clearsign(extra, with: "ed25519-signer"))).first == "body-layout")
        #expect(failed(verify(Array("garbage".utf8))).contains("envelope"))
    }

    @Test func expiredSignature() throws {
        // Made a day before its own expiry ran out, by a key that is otherwise fine.
        let provenance = try signer.clearsign(body(), with: "ed25519-signer", time: "20250701T000000", expiresIn: "1d")
        let verdict = verify(provenance)
        #expect(failed(verdict) == ["signature-expiry"])
        #expect(verdict.check(.signatureExpiry)?.detail.contains("expired on 2025-07-02") == true)
        let stillValid = try #require(ISO8601DateFormatter().date(from: "2025-07-01T12:00:00Z"))
        #expect(verify(provenance, now: stillValid).passed)
        #expect(verify(try signer.clearsign(body(), with: "ed25519-signer")).check(.signatureExpiry)?.detail == "no expiry")
    }

    /// A re-check of a stored chart (after a revocation) judges expiry at its upload time: a
    /// signature that merely expired since then does not get the chart quarantined.
    @Test func aReCheckJudgesExpiryAtTheUploadTime() throws {
        let provenance = try signer.clearsign(body(), with: "ed25519-signer", time: "20250701T000000", expiresIn: "1d")
        let uploadedAt = try #require(ISO8601DateFormatter().date(from: "2025-07-01T12:00:00Z"))
        let recheck = verifier.verify(.init(chartName: "demo", chartVersion: "1.2.3", chartDigest: digest,
                                            provenance: provenance), expiryJudgedAt: uploadedAt) { fingerprint in
            SignerStanding(isTrusted: trusted.contains(fingerprint), revocation: nil)
        }
        #expect(recheck.passed, "\(recheck.summary)")
        #expect(failed(verify(provenance)) == ["signature-expiry"])
    }

    @Test func aWeakKeyAlreadyInTheKeyringFailsKeyValidity() throws {
        let verdict = verify(try signer.clearsign(body(), with: "weak-dsa-signer"))
        #expect(failed(verdict) == ["key-validity"])
        #expect(verdict.check(.keyValidity)?.detail.contains("dsa1024") == true)
    }

    /// Bodies that crashed (a non-scalar key reached a force unwrap in `Yams.load`) or exploded
    /// (aliases) the server are a failed body-layout check, for signed and unknown-key provs alike.
    @Test("hostile YAML in the signed body", arguments: [
        "? [x]\n: y\n",
        "apiVersion: v2\nname: demo\nversion: 1.2.3\na: &a [lol, lol]\nb: [*a, *a]\n",
        "apiVersion: v2\nname: demo\nversion: 1.2.3\nx: &a k\nm: {*a : 1}\n",
        "apiVersion: v2\nname: demo\nversion: 1.2.3\nname: other\n",
    ])
    func hostileBodyYAML(chartPart: String) throws {
        let hostile = chartPart + "\n...\nfiles:\n  demo-1.2.3.tgz: sha256:\(digest.hex)\n"
        for key in ["ed25519-signer", "untrusted-signer"] {
            let verdict = verify(try signer.clearsign(hostile, with: key))
            #expect(failed(verdict).contains("body-layout"), "\(verdict.summary)")
        }
        let error = #expect(throws: ProvenanceBodyError.self) { try HelmProvenanceBody(signedText: Array(hostile.utf8)) }
        #expect(error?.message.contains("not valid YAML for a chart") == true, "\(error?.message ?? "")")
    }

    @Test func bodyVersionKeepsItsText() throws {
        let body = try HelmProvenanceBody(signedText: Array("name: demo\nversion: 1.10\n...\nfiles:\n  demo-1.10.tgz: sha256:00\n".utf8))
        #expect(body.version == "1.10")
        #expect(body.files == ["demo-1.10.tgz": "sha256:00"])
    }
}

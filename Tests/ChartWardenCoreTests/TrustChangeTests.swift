import Foundation
import Provenance
import Testing
@testable import ChartWardenCore

/// What a trust change not made yet does to a signer's standing: the input of the console's
/// "these charts will be quarantined" preview, judged by the real verifier.
@Suite("Trust change")
struct TrustChangeTests {
    static let key = String(repeating: "A", count: 40)
    static let other = String(repeating: "B", count: 40)
    static let early = Date(timeIntervalSince1970: 1_700_000_000)
    static let late = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func distrustRemovesTrustInItsRepositoryOnly() {
        let change = TrustChange.distrusted(Self.key, repository: "team")
        let trusted = SignerStanding(isTrusted: true)
        #expect(change.applied(to: trusted, of: Self.key, in: "team") == SignerStanding(isTrusted: false))
        #expect(change.applied(to: trusted, of: Self.key, in: "other") == trusted)
        #expect(change.applied(to: trusted, of: Self.other, in: "team") == trusted)
        #expect(change.repository == "team" && change.fingerprint == Self.key)
    }

    @Test func aRevocationIsAppliedAsTheStoreWouldRecordIt() {
        let soft = SignerStanding.Revocation(at: Self.late, isSoft: true)
        let hard = SignerStanding.Revocation(at: Self.late, isSoft: false)
        let none = SignerStanding(isTrusted: true)
        #expect(TrustChange.revoked(Self.key, soft, subkeys: []).applied(to: none, of: Self.key, in: "team").revocation == soft)
        #expect(TrustChange.revoked(Self.key, soft, subkeys: []).applied(to: none, of: Self.other, in: "team") == none)
        #expect(TrustChange.revoked(Self.key, soft, subkeys: []).repository == nil)
        // Hard is never softened; for soft ones the earliest stays; hard replaces soft.
        let hardNow = SignerStanding(isTrusted: true, revocation: hard)
        #expect(TrustChange.revoked(Self.key, soft, subkeys: []).applied(to: hardNow, of: Self.key, in: "t") == hardNow)
        let softEarly = SignerStanding(isTrusted: true, revocation: .init(at: Self.early, isSoft: true))
        #expect(TrustChange.revoked(Self.key, soft, subkeys: []).applied(to: softEarly, of: Self.key, in: "t") == softEarly)
        #expect(TrustChange.revoked(Self.key, .init(at: Self.early, isSoft: true), subkeys: [])
                    .applied(to: SignerStanding(isTrusted: true, revocation: soft), of: Self.key, in: "t") == softEarly)
        #expect(TrustChange.revoked(Self.key, hard, subkeys: []).applied(to: softEarly, of: Self.key, in: "t").revocation == hard)
        // A certificate revoking only subkeys leaves the key's standing and fails what they signed.
        let subkeysOnly = TrustChange.revoked(Self.key, nil, subkeys: ["C1"])
        #expect(subkeysOnly.applied(to: none, of: Self.key, in: "t") == none)
        #expect(subkeysOnly.revokesSigningKey("C1") && !subkeysOnly.revokesSigningKey(Self.key)
                && !subkeysOnly.revokesSigningKey(nil))
        #expect(!TrustChange.distrusted(Self.key, repository: "t").revokesSigningKey("C1"))
    }
}

import Foundation
import PGPTestSupport
import Storage
import Testing
@testable import ChartWardenCore

/// Trust over the real stores and GnuPG home: importing, listing and distrusting a signer, and
/// the quarantine → restore round trip of a published chart.
@Suite("Trust service")
struct TrustServiceTests {
    @Test func importListAndDistrustASigner() async throws {
        let harness = try await CoreHarness()
        defer { harness.remove() }
        let fingerprint = try TestSigner.fingerprint("ed25519-signer")
        let keys = try await harness.service.trust.importKeys(try TestSigner.publicKey("ed25519-signer"), trustFor: "team",
                                                               actor: "user:admin")
        #expect(keys.map(\.fingerprint) == [fingerprint])
        let summaries = try await harness.service.trust.signerSummaries([fingerprint], withCharts: true)
        #expect(summaries.first?.repositories == ["team"])
        let trusted = try #require(try await harness.events(action: .trust).first)
        #expect((trusted.outcome, trusted.subject) == (.trusted, fingerprint))
        try await harness.service.trust.distrust(fingerprint, repository: "team", actor: "user:admin")
        await #expect(throws: ServiceError.self) {
            try await harness.service.trust.distrust(fingerprint, repository: "team", actor: "user:admin")
        }
        #expect(try await harness.events(action: .distrust).count == 1)
    }

    @Test func aQuarantinedChartIsWithheldUntilRestored() async throws {
        let harness = try await CoreHarness()
        defer { harness.remove() }
        _ = try await harness.upload("redis-lite-0.8.1.tgz")
        let record = try #require(try harness.metadata.chart(repository: "team", name: "redis-lite", version: "0.8.1"))
        try harness.metadata.updateStatus(id: try #require(record.id), to: .quarantined, reason: "signer key revoked")
        try await harness.service.warm()
        #expect(harness.team.snapshot.withheld["redis-lite-0.8.1.tgz"] == "signer key revoked")
        await #expect(throws: ServiceError(.forbidden, "redis-lite-0.8.1.tgz is quarantined: signer key revoked")) {
            _ = try await harness.service.catalog.file(named: "redis-lite-0.8.1.tgz", in: harness.team)
        }
        #expect(try await harness.service.trust.quarantinedCharts(repository: "team").map(\.name) == ["redis-lite"])

        let generation = harness.team.snapshot.generation
        try await harness.service.trust.restore(name: "redis-lite", version: "0.8.1", in: harness.team, actor: "user:admin")
        #expect(harness.team.snapshot.generation == generation + 1)
        #expect(harness.team.snapshot.files["redis-lite-0.8.1.tgz"] != nil)
        let (file, bytes) = try await harness.service.catalog.file(named: "redis-lite-0.8.1.tgz", in: harness.team)
        #expect(Int64(bytes.readableBytes) == file.size)
        let restored = try #require(try await harness.events(action: .restore).first)
        #expect(restored.outcome == .active)
        #expect(try CoreHarness.detail(restored)["previousReason"] as? String == "signer key revoked")
        await #expect(throws: ServiceError.self) {
            try await harness.service.trust.restore(name: "redis-lite", version: "0.8.1", in: harness.team,
                                                    actor: "user:admin")
        }
    }
}

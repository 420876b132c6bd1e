import Foundation
import OpenSSLSupport
import Storage
import Testing
@testable import ChartWardenCore

/// `audit.retentionDays` over the real core, with an injected clock: a pass a year and a day
/// later prunes the history and a forgotten stage (its blob too), and keeps stored charts.
@Suite struct RetentionPassTests {
    @Test func aPassDropsOldHistoryAndForgottenStagesAndKeepsCharts() async throws {
        let harness = try await CoreHarness(gate: .stage)
        defer { harness.remove() }
        #expect(try await harness.upload("webapp-1.0.0.tgz") == .staged)
        harness.gate.answer(.publish(nil))
        #expect(try await harness.upload("redis-lite-0.8.1.tgz", to: "plain") == .published)
        let staged = try #require(try harness.metadata.chart(repository: "team", name: "webapp", version: "1.0.0"))
        let blobs = try FileBlobStore(root: harness.directory + "/blobs")

        // Within the retention: nothing goes.
        #expect(await harness.service.retention.prune(now: Date().addingTimeInterval(86_400)) == 0)
        #expect(try harness.metadata.chart(repository: "team", name: "webapp", version: "1.0.0") != nil)

        let later = Date().addingTimeInterval(366 * 86_400)
        let removed = await harness.service.retention.prune(now: later)
        // The stage, the two upload events and the stage's removal event (written at the real
        // time, so before this clock's cutoff too), and the three change journal rows of the
        // stage, the publish and the stage's expiry.
        #expect(removed == 7)
        #expect(try harness.metadata.chart(repository: "team", name: "webapp", version: "1.0.0") == nil)
        #expect(!blobs.contains(try #require(SHA256Digest(hex: staged.digest))))
        let published = try #require(try harness.metadata.chart(repository: "plain", name: "redis-lite", version: "0.8.1"))
        #expect(published.status == .active)
        #expect(blobs.contains(try #require(SHA256Digest(hex: published.digest))))
        #expect(try await harness.service.audit.events(AuditQuery()).isEmpty)
        #expect(await harness.service.retention.prune(now: later) == 0)
    }
}

import Foundation
import Provenance
import Storage
import Testing
@testable import ChartWardenCore

/// Ingest over the real stores with a fake provenance gate: what each decision publishes,
/// stages or refuses, and the audit event it leaves in the same transaction.
@Suite("Ingest")
struct IngestTests {
    static let failing = ProvenanceVerdict(checks: [.init(name: .signature, passed: false, detail: "bad signature")],
                                           chartDigest: "sha256:00")

    @Test func aPublishedUploadIsServedAtTheNextGenerationAndAudited() async throws {
        let harness = try await CoreHarness(gate: .publish(nil))
        defer { harness.remove() }
        let before = harness.team.snapshot.generation
        #expect(try await harness.upload("redis-lite-0.8.1.tgz") == .published)
        let snapshot = harness.team.snapshot
        #expect(snapshot.generation == before + 1)
        #expect(snapshot.files["redis-lite-0.8.1.tgz"] != nil)
        #expect(String(decoding: snapshot.served.joined(), as: UTF8.self).contains("redis-lite-0.8.1.tgz"))
        #expect(harness.gate.submissions == ["redis-lite-0.8.1"])
        let event = try #require(try await harness.events(action: .upload).first)
        #expect((event.actor, event.outcome, event.subject) == ("user:writer", .active, "redis-lite-0.8.1"))
        #expect(try CoreHarness.detail(event)["contentPolicy"] != nil)
    }

    @Test func aStagedUploadStaysInvisibleAndIsNotRenewedByAnotherLoneChart() async throws {
        let harness = try await CoreHarness(gate: .stage)
        defer { harness.remove() }
        #expect(try await harness.upload("redis-lite-0.8.1.tgz") == .staged)
        #expect(harness.team.snapshot.files.isEmpty)
        do {
            _ = try await harness.upload("redis-lite-0.8.1.tgz")
            Issue.record("a second lone chart renewed the stage")
        } catch {
            #expect(error.code == .conflict)
        }
        let refused = try await harness.service.audit.events(AuditQuery(outcome: "rejected"))
        let event = try #require(refused.first)
        #expect(event.action == .upload)
        let detail = try CoreHarness.detail(event)
        #expect(detail["stagedBy"] as? String == "user:writer")
        #expect(detail["reason"] as? String == "already staged; a stage is not renewed")
    }

    @Test func aRejectedUploadStoresItsVerdictAndAuditEventButNoChart() async throws {
        let harness = try await CoreHarness(gate: .reject(Self.failing))
        defer { harness.remove() }
        do {
            _ = try await harness.upload("redis-lite-0.8.1.tgz")
            Issue.record("a rejected upload was accepted")
        } catch {
            #expect(error.code == .forbidden)
            #expect(error.failedChecks == ["signature"])
        }
        #expect(harness.team.snapshot.files.isEmpty)
        #expect(try harness.metadata.chart(repository: "team", name: "redis-lite", version: "0.8.1") == nil)
        let event = try #require(try await harness.service.audit.events(AuditQuery(outcome: "rejected")).first)
        #expect(try CoreHarness.detail(event)["failedChecks"] as? [String] == ["signature"])
        #expect(try CoreHarness.detail(event)["reasons"] as? [String] == ["bad signature"])
    }

    @Test func aDeleteLeavesTheIndexAndIsAudited() async throws {
        let harness = try await CoreHarness(gate: .publish(nil))
        defer { harness.remove() }
        _ = try await harness.upload("redis-lite-0.8.1.tgz")
        let published = harness.team.snapshot.generation
        try await harness.service.ingest.delete(name: "redis-lite", version: "0.8.1", from: harness.team, actor: "user:admin")
        #expect(harness.team.snapshot.files.isEmpty)
        #expect(harness.team.snapshot.generation == published + 1)
        let event = try #require(try await harness.events(action: .delete).first)
        #expect((event.actor, event.outcome) == ("user:admin", .deleted))
        await #expect(throws: ServiceError(.notFound, "chart redis-lite version 0.8.1 not found")) {
            try await harness.service.ingest.delete(name: "redis-lite", version: "0.8.1", from: harness.team,
                                                    actor: "user:admin")
        }
    }

    @Test func aRepositoryWithoutProvenancePublishesAsUploaded() async throws {
        let harness = try await CoreHarness(gate: .publish(nil))
        defer { harness.remove() }
        #expect(try await harness.upload("redis-lite-0.8.1.tgz", to: "plain") == .published)
        #expect(harness.service.repository(named: "plain")!.snapshot.files["redis-lite-0.8.1.tgz"] != nil)
    }
}

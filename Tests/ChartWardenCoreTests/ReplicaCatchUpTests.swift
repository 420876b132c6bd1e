import Foundation
import OpenPGP
import Storage
import Testing
@testable import ChartWardenCore

/// The catch-up decision of a replica (pure) and the reconnect backoff (#14).
@Suite struct CatchUpPlanTests {
    static func event(_ id: Int64, _ type: ChangeEventType, _ repository: String? = "stable", name: String? = "demo",
                      version: String? = "1.0.0") -> ChangeEvent {
        ChangeEvent(id: id, at: Date(), type: type, repository: repository, generation: id, name: name, version: version,
                    fingerprint: nil, actor: "ci", data: nil)
    }

    @Test func aNotificationIsReadOnlyWhenItIsNewer() {
        #expect(CatchUpPlan.mustRead(lastApplied: 5, notified: 6))
        #expect(!CatchUpPlan.mustRead(lastApplied: 5, notified: 5))
        #expect(!CatchUpPlan.mustRead(lastApplied: 5, notified: 3))
        // An unreadable payload (or a poll) reads to find out.
        #expect(CatchUpPlan.mustRead(lastApplied: 5, notified: nil))
    }

    @Test func eachVersionIsReReadOnceAndKeysBeforeCharts() {
        let events = [
            Self.event(6, .chartPublished), Self.event(7, .chartQuarantined), Self.event(8, .signerKeyUpdated, nil, name: nil),
            Self.event(9, .chartPublished, version: "2.0.0"), Self.event(10, .uploadRejected, version: "3.0.0"),
            Self.event(11, .signerTrusted, name: nil, version: nil), Self.event(12, .chartPublished, "unknown"),
        ]
        let plan = CatchUpPlan.plan(lastApplied: 5, events: events, pageSize: 500, knownLatest: 12, repositories: ["stable"])
        #expect(plan.steps == [.reloadTrust, .reconcile(repository: "stable", name: "demo", version: "1.0.0"),
                               .reconcile(repository: "stable", name: "demo", version: "2.0.0")])
        #expect(plan.appliedThrough == 12)
        #expect(!plan.readAgain)
    }

    @Test func aFullPageReadsAgain() {
        let plan = CatchUpPlan.plan(lastApplied: 0, events: [Self.event(1, .chartDeleted), Self.event(2, .chartDeleted)],
                                    pageSize: 2, knownLatest: 9, repositories: ["stable"])
        #expect(plan.readAgain && plan.appliedThrough == 2)
    }

    /// Ids are gap-free: a first row past `lastApplied + 1`, or none while a newer id is known,
    /// means retention pruned what this replica missed.
    @Test func aGapOrAPrunedJournalReloadsEverything() {
        let gap = CatchUpPlan.plan(lastApplied: 5, events: [Self.event(9, .chartPublished)], pageSize: 500, knownLatest: 9,
                                   repositories: ["stable"])
        #expect(gap.steps == [.reloadAll] && gap.appliedThrough == nil)
        let pruned = CatchUpPlan.plan(lastApplied: 5, events: [], pageSize: 500, knownLatest: 9, repositories: ["stable"])
        #expect(pruned.steps == [.reloadAll])
        let idle = CatchUpPlan.plan(lastApplied: 9, events: [], pageSize: 500, knownLatest: 9, repositories: ["stable"])
        #expect(idle.steps.isEmpty && idle.appliedThrough == 9)
    }

    @Test func backoffDoublesToItsCapAndStartsOverAfterAConnection() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .milliseconds(350))
        #expect([backoff.failed(), backoff.failed(), backoff.failed(), backoff.failed()]
                == [.milliseconds(100), .milliseconds(200), .milliseconds(350), .milliseconds(350)])
        backoff.connected()
        #expect(backoff.failed() == .milliseconds(100))
    }
}

/// A second `ChartService` on the same store stands in for another replica: it learns what the
/// first one commits only by catching up from the journal (the PostgreSQL LISTEN merely says when).
@Suite struct ReplicaFollowerTests {
    static func replica(_ directory: String, keyring: String) async throws -> ChartService {
        try await CoreHarness.service(in: directory, keyring: keyring, gate: FakeProvenanceGate(.publish(nil))).0
    }

    static func versions(_ service: ChartService, _ name: String) -> [String] {
        service.repository(named: "plain")!.versions(named: name)
    }

    @Test func anotherReplicasPublishDeleteAndOverwriteArriveByCatchingUp() async throws {
        let first = try await CoreHarness()
        defer { first.remove() }
        let second = try await Self.replica(first.directory, keyring: "gnupg-second")
        #expect(try await first.upload("redis-lite-0.8.1.tgz", to: "plain") == .published)
        #expect(try await first.upload("redis-lite-0.8.2.tgz", to: "plain") == .published)
        #expect(Self.versions(second, "redis-lite").isEmpty)
        await second.replica.catchUp()
        #expect(Self.versions(second, "redis-lite") == ["0.8.2", "0.8.1"])
        let served = second.repository(named: "plain")!.snapshot
        #expect(served.files["redis-lite-0.8.1.tgz"] != nil)

        try await first.service.ingest.delete(name: "redis-lite", version: "0.8.1", from: first.service.repository(named: "plain")!,
                                              actor: "user:admin")
        await second.replica.catchUp()
        #expect(Self.versions(second, "redis-lite") == ["0.8.2"])
        #expect(second.repository(named: "plain")!.snapshot.files["redis-lite-0.8.1.tgz"] == nil)

        // A replica hears of its own changes too: applying what it already serves changes
        // nothing, so the snapshot's generation (and every cache keyed on it) stays.
        let own = first.service.repository(named: "plain")!
        let generation = own.snapshot.generation
        await first.service.replica.catchUp()
        #expect(own.snapshot.generation == generation)
        #expect(await second.replica.appliedThrough == (try first.metadata.latestEventID()))
    }

    /// A replica away longer than retention finds the journal pruned past its last id: it
    /// reloads everything instead of missing what was pruned.
    @Test func aReplicaBehindAPrunedJournalReloadsEverything() async throws {
        let first = try await CoreHarness()
        defer { first.remove() }
        let second = try await Self.replica(first.directory, keyring: "gnupg-second")
        #expect(try await first.upload("redis-lite-0.8.1.tgz", to: "plain") == .published)
        #expect(try first.metadata.pruneHistory(olderThan: Date().addingTimeInterval(3600), limit: 1000) > 0)
        #expect(try first.metadata.events(after: 0, limit: 10).isEmpty)
        await second.replica.catchUp()
        #expect(Self.versions(second, "redis-lite") == ["0.8.1"])
        #expect(await second.replica.appliedThrough == (try first.metadata.latestEventID()))
    }
}

/// Review findings F1, F2, F4 (#14): a notification is only a hint, a row of an unknown type is
/// "something changed", a revocation makes every replica re-judge the signer's charts.
@Suite struct CatchUpHardeningTests {
    @Test func aRowOfAnUnknownTypeIsReReadOrReloadedNeverAStop() {
        let named = CatchUpPlan.plan(lastApplied: 0, events: [CatchUpPlanTests.event(1, .unrecognized)], pageSize: 500,
                                     knownLatest: 1, repositories: ["stable"])
        #expect(named.steps == [.reconcile(repository: "stable", name: "demo", version: "1.0.0")])
        #expect(named.appliedThrough == 1)
        let unnamed = CatchUpPlan.plan(lastApplied: 0, events: [CatchUpPlanTests.event(1, .unrecognized, nil, name: nil, version: nil)],
                                       pageSize: 500, knownLatest: 1, repositories: ["stable"])
        #expect(unnamed.steps == [.reloadAll])
        #expect(ChangeEventType(stored: "chart.signed.future") == .unrecognized)
        #expect(ChangeEventType(stored: "chart.published") == .chartPublished)
    }

    @Test func aRevocationReImportsKeysThenReJudgesTheSignersCharts() {
        var revoked = CatchUpPlanTests.event(1, .signerRevoked, nil, name: nil, version: nil)
        revoked.fingerprint = "AAAA"
        let plan = CatchUpPlan.plan(lastApplied: 0, events: [revoked, CatchUpPlanTests.event(2, .chartPublished)],
                                    pageSize: 500, knownLatest: 2, repositories: ["stable"])
        #expect(plan.steps == [.reloadTrust, .reconcile(repository: "stable", name: "demo", version: "1.0.0"),
                               .reevaluate(signer: "AAAA")])
    }

    /// F1: a NOTIFY with a huge id (anyone who can connect may send one) triggers a read, never a
    /// full reload: the journal's head is read from the store.
    @Test func aCraftedNotificationIdNeverCausesAFullReload() async throws {
        let first = try await CoreHarness()
        defer { first.remove() }
        let second = try await ReplicaFollowerTests.replica(first.directory, keyring: "gnupg-second")
        #expect(try await first.upload("redis-lite-0.8.1.tgz", to: "plain") == .published)
        await second.replica.heard(of: 9_000_000_000_000_000_000)
        await second.replica.catchUp()
        await second.replica.catchUp()
        #expect(await second.replica.fullReloads == 0)
        #expect(ReplicaFollowerTests.versions(second, "redis-lite") == ["0.8.1"])
    }
}

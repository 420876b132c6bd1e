import Foundation
import Storage
import Testing

/// The webhook delivery tables on both stores (README, "Webhooks"): a cursor moves only from
/// where its reader saw it, a delivery is enqueued once per webhook and event, a claim leases it
/// to one worker (a second replica gets nothing until the lease runs out), and an attempt settles
/// only the claim it belongs to.
@Suite struct WebhookStoreTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func delivery(_ event: String, webhook: String = "hook-a", at offset: TimeInterval = 0) -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(webhook: webhook, eventID: event, eventType: "chart.published", body: "{\"id\":\"\(event)\"}",
                              createdAt: start.addingTimeInterval(offset), nextAttemptAt: start.addingTimeInterval(offset))
    }

    static func attempt(_ delivery: WebhookDeliveryRecord, outcome: WebhookAttemptRecord.Outcome, status: Int?,
                        at: Date) -> WebhookAttemptRecord {
        WebhookAttemptRecord(webhook: delivery.webhook, url: "https://receiver.example/hook", eventID: delivery.eventID,
                             eventType: delivery.eventType, attempt: delivery.attempts, statusCode: status,
                             error: status == nil ? "timeout" : nil, outcome: outcome, at: at, nextAttemptAt: nil)
    }

    @Test(arguments: StoreBackend.available)
    func cursorsMoveOnlyFromWhatTheirReaderSaw(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        #expect(try store.webhookCursor(webhook: "hook-a") == nil)
        #expect(try store.enqueueWebhookDeliveries([], webhook: "hook-a", expected: nil, cursor: "7"))
        // A second starter (another replica) lost the race: nothing changes.
        #expect(try !store.enqueueWebhookDeliveries([Self.delivery("e1")], webhook: "hook-a", expected: nil, cursor: "9"))
        #expect(try store.webhookCursor(webhook: "hook-a") == "7")
        #expect(try store.enqueueWebhookDeliveries([Self.delivery("e1"), Self.delivery("e2", at: 1)], webhook: "hook-a",
                                                   expected: "7", cursor: "9"))
        // A reader that saw 7 again is too late; one that re-reads (same event) adds no duplicate.
        #expect(try !store.enqueueWebhookDeliveries([Self.delivery("e3")], webhook: "hook-a", expected: "7", cursor: "10"))
        #expect(try store.enqueueWebhookDeliveries([Self.delivery("e2", at: 1)], webhook: "hook-a", expected: "9", cursor: "10"))
        #expect(try store.pendingWebhookDeliveries() == ["hook-a": 2])
        #expect(try opened.reopen().webhookCursor(webhook: "hook-a") == "10")
    }

    @Test(arguments: StoreBackend.available)
    func aClaimLeasesDeliveriesToOneWorkerAndAnAttemptSettlesOnlyItsClaim(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        let other = try opened.reopen()
        _ = try store.enqueueWebhookDeliveries([Self.delivery("e1"), Self.delivery("e2", at: 1), Self.delivery("e3", at: 100),
                                                Self.delivery("x1", webhook: "hook-b")],
                                               webhook: "hook-a", expected: nil, cursor: "3")
        let now = Self.start.addingTimeInterval(10)
        let lease = now.addingTimeInterval(40)
        let claimed = try store.claimWebhookDeliveries(webhook: "hook-a", now: now, leaseUntil: lease, limit: 10)
        #expect(claimed.map(\.eventID) == ["e1", "e2"])
        #expect(claimed.allSatisfy { $0.attempts == 1 && $0.nextAttemptAt == lease })
        // Another replica finds nothing due until the lease ends.
        #expect(try other.claimWebhookDeliveries(webhook: "hook-a", now: now, leaseUntil: lease, limit: 10).isEmpty)
        #expect(try store.nextWebhookAttempt(webhook: "hook-a") == lease)

        // e1 delivered: gone. e2 failed: due again at its retry time.
        #expect(try store.finishWebhookAttempt(Self.attempt(claimed[0], outcome: .delivered, status: 204, at: now),
                                               delivery: claimed[0], retryAt: nil))
        let retry = now.addingTimeInterval(2)
        #expect(try store.finishWebhookAttempt(Self.attempt(claimed[1], outcome: .retrying, status: 503, at: now),
                                               delivery: claimed[1], retryAt: retry))
        #expect(try store.pendingWebhookDeliveries() == ["hook-a": 2, "hook-b": 1])
        let again = try other.claimWebhookDeliveries(webhook: "hook-a", now: retry, leaseUntil: retry.addingTimeInterval(40),
                                                     limit: 10)
        #expect(again.map(\.eventID) == ["e2"] && again[0].attempts == 2)
        // The first claim's late answer no longer settles the row the second claim holds.
        #expect(try !store.finishWebhookAttempt(Self.attempt(claimed[1], outcome: .delivered, status: 200, at: retry),
                                                delivery: claimed[1], retryAt: nil))

        let log = try store.webhookAttempts(beforeID: nil, limit: 10)
        #expect(log.map(\.eventID) == ["e2", "e1"] && log.map(\.outcome) == [.retrying, .delivered])
        #expect(log[0].statusCode == 503 && log[1].statusCode == 204)
        let older = try store.webhookAttempts(beforeID: log[0].id, limit: 10)
        #expect(older.map(\.eventID) == ["e1"])
        #expect(try store.pruneWebhookAttempts(olderThan: now.addingTimeInterval(1), limit: 100) == 2)
        #expect(try store.webhookAttempts(beforeID: nil, limit: 10).isEmpty)
    }
}

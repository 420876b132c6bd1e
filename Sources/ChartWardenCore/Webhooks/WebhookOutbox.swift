import Foundation
import Storage

/// The store side of webhook delivery (README, "Webhooks"): moves each webhook's cursor through
/// the change journal, turning the events it wants into owed deliveries in the same transaction;
/// claims due deliveries; records each attempt and settles it. Every call is one short store
/// transaction on the thread pool; nothing here waits for a receiver.
package final class WebhookOutbox: Sendable {
    package let webhooks: [Webhook]
    private let sourceBase: String?
    private let journal: any WebhookJournal
    private let work: BlockingWork<Stores>
    /// Journal events read per transaction.
    static let pageSize = 200
    /// How long past an attempt's timeout its claim holds: recording the answer takes
    /// milliseconds, and a claim that outlives its claimer only delays the retry.
    static let leaseMargin: TimeInterval = 5

    package init(webhooks: [Webhook], sourceBase: String?, journal: any WebhookJournal, work: BlockingWork<Stores>) {
        self.webhooks = webhooks
        self.sourceBase = sourceBase
        self.journal = journal
        self.work = work
    }

    /// Gives each webhook seen for the first time its cursor at the journal's head. Called at
    /// start, before the listeners accept anything: a change made before the worker's first pass
    /// is then behind no new cursor, so it is delivered, not skipped.
    package func startCursors() async throws(ServiceError) {
        let journal = self.journal
        for webhook in webhooks {
            try await work.run { (stores, _) throws(ServiceError) in
                do {
                    guard try stores.metadata.webhookCursor(webhook: webhook.key) == nil else { return }
                    _ = try stores.metadata.enqueueWebhookDeliveries([], webhook: webhook.key, expected: nil,
                                                                     cursor: try journal.head(stores.metadata))
                } catch {
                    throw ServiceError(.internalError, "webhook \(webhook.displayURL): cannot start its cursor: \(error)")
                }
            }
        }
    }

    /// Reads the journal after `webhook`'s cursor, page by page, and enqueues what it wants. A
    /// webhook seen for the first time starts at the journal's head (it is not sent history).
    /// Returns how many deliveries were added.
    @discardableResult
    package func fill(_ webhook: Webhook) async throws(ServiceError) -> Int {
        let sourceBase = self.sourceBase
        let journal = self.journal
        return try await work.run { (stores, _) throws(ServiceError) in
            do {
                guard var cursor = try stores.metadata.webhookCursor(webhook: webhook.key) else {
                    _ = try stores.metadata.enqueueWebhookDeliveries([], webhook: webhook.key, expected: nil,
                                                                     cursor: try journal.head(stores.metadata))
                    return 0
                }
                var added = 0
                while true {
                    let page = try journal.events(after: cursor, limit: Self.pageSize, stores.metadata)
                    guard page.cursor != cursor else { return added }
                    let deliveries = try WebhookDeliveryPlan.deliveries(of: page.events, for: webhook, sourceBase: sourceBase,
                                                                        now: Date())
                    // Another replica moved the cursor first: it enqueued this page.
                    guard try stores.metadata.enqueueWebhookDeliveries(deliveries, webhook: webhook.key, expected: cursor,
                                                                       cursor: page.cursor) else { return added }
                    added += deliveries.count
                    cursor = page.cursor
                    if page.events.count < Self.pageSize { return added }
                }
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "webhook \(webhook.displayURL): cannot read the change journal: \(error)")
            }
        }
    }

    /// Claims up to `limit` due deliveries of `webhook`, leased for one attempt's time plus
    /// `leaseMargin`: a replica that dies mid-attempt leaves them to be retried after it.
    package func claim(_ webhook: Webhook, now: Date, limit: Int) async throws(ServiceError) -> [WebhookDeliveryRecord] {
        guard limit > 0 else { return [] }
        let lease = now.addingTimeInterval(TimeInterval(webhook.timeoutSeconds) + Self.leaseMargin)
        return try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.claimWebhookDeliveries(webhook: webhook.key, now: now, leaseUntil: lease, limit: limit)
            } catch {
                throw ServiceError(.internalError, "webhook \(webhook.displayURL): cannot claim deliveries: \(error)")
            }
        }
    }

    /// Records what an attempt got and settles its delivery (`WebhookDeliveryPlan.settle`).
    package func finish(_ delivery: WebhookDeliveryRecord, webhook: Webhook, status: Int?, error: String?,
                        now: Date = Date(), jitter: Double = Double.random(in: 0..<1)) async throws(ServiceError)
        -> WebhookAttemptRecord {
        let (attempt, retryAt) = WebhookDeliveryPlan.settle(delivery, webhook: webhook, status: status, error: error,
                                                            now: now, jitter: jitter)
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                let logged = WebhookDeliveryPlan.logs(attempt: attempt.attempt, outcome: attempt.outcome)
                _ = try stores.metadata.finishWebhookAttempt(logged ? attempt : nil, delivery: delivery, retryAt: retryAt)
            } catch {
                throw ServiceError(.internalError, "webhook \(webhook.displayURL): cannot record an attempt: \(error)")
            }
        }
        return attempt
    }

    /// Settles a claimed delivery without sending it (`WebhookDeliveryPlan.reasonNotToSend`).
    package func drop(_ delivery: WebhookDeliveryRecord, webhook: Webhook, reason: String, now: Date = Date())
        async throws(ServiceError) {
        let attempt = WebhookDeliveryPlan.dropped(delivery, webhook: webhook, reason: reason, now: now)
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                _ = try stores.metadata.finishWebhookAttempt(attempt, delivery: delivery, retryAt: nil)
            } catch {
                throw ServiceError(.internalError, "webhook \(webhook.displayURL): cannot record an attempt: \(error)")
            }
        }
    }

    /// The earliest due attempt of each webhook owed anything (by key).
    package func nextAttempts() async throws(ServiceError) -> [String: Date] {
        let keys = webhooks.map(\.key)
        return try await work.run { (stores, _) throws(ServiceError) in
            do {
                var result: [String: Date] = [:]
                for key in keys { result[key] = try stores.metadata.nextWebhookAttempt(webhook: key) }
                return result
            } catch {
                throw ServiceError(.internalError, "cannot read the webhook deliveries: \(error)")
            }
        }
    }

    /// The deliveries log, newest first, for `GET /api/admin/webhooks/deliveries`.
    package func attempts(beforeID: Int64?, limit: Int) async throws(ServiceError) -> [WebhookAttemptRecord] {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.webhookAttempts(beforeID: beforeID, limit: limit)
            } catch {
                throw ServiceError(.internalError, "cannot read the webhook deliveries: \(error)")
            }
        }
    }

    /// Deliveries still owed per configured webhook (display URL → count).
    package func pending() async throws(ServiceError) -> [String: Int] {
        let webhooks = self.webhooks
        return try await work.run { (stores, _) throws(ServiceError) in
            do {
                let counts = try stores.metadata.pendingWebhookDeliveries()
                var result: [String: Int] = [:]
                for webhook in webhooks { result[webhook.displayURL] = counts[webhook.key] ?? 0 }
                return result
            } catch {
                throw ServiceError(.internalError, "cannot read the webhook deliveries: \(error)")
            }
        }
    }
}

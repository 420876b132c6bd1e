import Foundation
import Storage

/// What the delivery worker does next (README, "Webhooks"), decided from plain values: which
/// receivers a journal event goes to, how many due deliveries each receiver may take now, and
/// when to look again. The worker only does the I/O these answers name.
package enum WebhookDeliveryPlan {
    /// Attempts in flight at once, over every receiver and per receiver: a slow receiver holds at
    /// most its share, never the worker, and never anything an upload waits for.
    package struct Limits: Sendable, Equatable {
        package var total: Int
        package var perWebhook: Int

        package init(total: Int = 16, perWebhook: Int = 4) {
            self.total = total
            self.perWebhook = perWebhook
        }

        /// `perWebhook` for each of `count` receivers, and a total that fits them all: stuck
        /// receivers hold only their own slots, never another's (review F3).
        package static func forWebhooks(_ count: Int, perWebhook: Int = 4) -> Limits {
            Limits(total: perWebhook * max(count, 1), perWebhook: perWebhook)
        }
    }

    /// Longest pause between two looks at the journal, so new events leave within about a second.
    package static let pollInterval: TimeInterval = 1

    /// The deliveries `events` make for `webhook` (those of a type and repository it wants, and
    /// not older than its retry time: a webhook back after a long absence is not sent stale
    /// changes as new, review F4), due at once, each carrying its CloudEvent body.
    package static func deliveries(of events: [WebhookEvent], for webhook: Webhook, sourceBase: String?, now: Date)
        throws(ServiceError) -> [WebhookDeliveryRecord] {
        var deliveries: [WebhookDeliveryRecord] = []
        for event in events where webhook.wants(event.type, repository: event.repository)
            && now.timeIntervalSince(event.time) <= TimeInterval(webhook.maxRetrySeconds) {
            let body = try CloudEvent(event, sourceBase: sourceBase).body()
            deliveries.append(WebhookDeliveryRecord(
                webhook: webhook.key, eventID: event.id, eventType: event.type.rawValue,
                body: String(decoding: body, as: UTF8.self), createdAt: event.time, nextAttemptAt: event.time))
        }
        return deliveries
    }

    /// The receivers (by key, in configuration order) with a delivery due at `now`.
    package static func due(_ webhooks: [String], nextAttempts: [String: Date], now: Date) -> [String] {
        webhooks.filter { key in nextAttempts[key].map { $0 <= now } ?? false }
    }

    /// How many due deliveries each receiver (by key, in configuration order) may claim now: up
    /// to its free slots, within the free slots overall, handed out one by one in turn so an
    /// early receiver with a backlog cannot starve the others.
    package static func claims(webhooks: [String], inFlight: [String: Int], limits: Limits) -> [String: Int] {
        var free = limits.total - inFlight.values.reduce(0, +)
        var claims: [String: Int] = [:]
        var progressed = true
        while free > 0, progressed {
            progressed = false
            for key in webhooks where free > 0 && (inFlight[key] ?? 0) + (claims[key] ?? 0) < limits.perWebhook {
                claims[key, default: 0] += 1
                free -= 1
                progressed = true
            }
        }
        return claims
    }

    /// When to look again: at the earliest due attempt of a receiver with a free slot, but
    /// within `pollInterval` (new events), and never in the past. A receiver at its limit (or
    /// every receiver, when the total is reached) is left to the attempt that frees a slot,
    /// which wakes the worker itself, so due work behind full slots never spins the loop.
    package static func wake(now: Date, nextAttempts: [String: Date], inFlight: [String: Int], limits: Limits,
                             pollInterval: TimeInterval = pollInterval) -> Date {
        let poll = now.addingTimeInterval(pollInterval)
        guard inFlight.values.reduce(0, +) < limits.total else { return poll }
        let due = nextAttempts.filter { (inFlight[$0.key] ?? 0) < limits.perWebhook }.values.min() ?? poll
        return max(now, min(due, poll))
    }

    /// Why an owed delivery must not be sent now, or nil: its retry time is over (review F4), or
    /// the configuration in force no longer wants its type or repository — a scope narrowed while
    /// deliveries were owed stops them (review F5). The body is ChartWarden's own CloudEvent.
    package static func reasonNotToSend(_ delivery: WebhookDeliveryRecord, webhook: Webhook, now: Date) -> String? {
        if now.timeIntervalSince(delivery.createdAt) > TimeInterval(webhook.maxRetrySeconds) {
            return "not sent: older than maxRetrySeconds"
        }
        struct Sent: Decodable {
            struct Payload: Decodable { let repository: String? }
            let data: Payload?
        }
        guard let type = Webhook.EventType(rawValue: delivery.eventType),
              let sent = try? JSONDecoder().decode(Sent.self, from: Data(delivery.body.utf8)) else {
            return "not sent: unreadable delivery"
        }
        return webhook.wants(type, repository: sent.data?.repository) ? nil : "not sent: no longer wanted by the configuration"
    }

    /// The attempt row of a delivery dropped unsent (`reasonNotToSend`): abandoned, no status.
    package static func dropped(_ delivery: WebhookDeliveryRecord, webhook: Webhook, reason: String, now: Date)
        -> WebhookAttemptRecord {
        WebhookAttemptRecord(webhook: webhook.key, url: webhook.displayURL, eventID: delivery.eventID,
                             eventType: delivery.eventType, attempt: delivery.attempts, statusCode: nil, error: reason,
                             outcome: .abandoned, at: now, nextAttemptAt: nil)
    }

    /// Whether the deliveries log keeps attempt `attempt` of a delivery: the first three, then
    /// every tenth, and always the one that settles it, so a dead receiver costs rows in
    /// proportion to events, not to retries (review F8).
    package static func logs(attempt: Int, outcome: WebhookAttemptRecord.Outcome) -> Bool {
        outcome != .retrying || attempt <= 3 || attempt % 10 == 0
    }

    /// What one attempt leaves behind: the row for the deliveries log and when to try again
    /// (nil: the delivery is settled, delivered or abandoned).
    package static func settle(_ delivery: WebhookDeliveryRecord, webhook: Webhook, status: Int?, error: String?,
                               now: Date, jitter: Double) -> (attempt: WebhookAttemptRecord, retryAt: Date?) {
        let policy = WebhookRetryPolicy(webhook)
        let decision = policy.decide(WebhookRetryPolicy.outcome(status: status), attempt: delivery.attempts,
                                     eventTime: delivery.createdAt, now: now, jitter: jitter)
        let (outcome, retryAt): (WebhookAttemptRecord.Outcome, Date?) = switch decision {
        case .delivered: (.delivered, nil)
        case .retry(let at): (.retrying, at)
        case .abandon: (.abandoned, nil)
        }
        let attempt = WebhookAttemptRecord(
            webhook: webhook.key, url: webhook.displayURL, eventID: delivery.eventID, eventType: delivery.eventType,
            attempt: delivery.attempts, statusCode: status, error: error, outcome: outcome, at: now, nextAttemptAt: retryAt)
        return (attempt, retryAt)
    }
}

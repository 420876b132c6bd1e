import Foundation
import GRDB

/// One row of `webhook_deliveries`: an event still owed to one webhook (README, "Webhooks").
/// The CloudEvent body is fixed when the row is made, so every attempt sends the same bytes
/// and the same `id`; the row goes when the receiver took it or the retry time is over.
public struct WebhookDeliveryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "webhook_deliveries"

    public var id: Int64?
    /// `Webhook.key`: the receiver, stable across reorderings of the configuration.
    public var webhook: String
    /// The CloudEvents `id`.
    public var eventID: String
    public var eventType: String
    /// The CloudEvent in structured JSON mode, as sent.
    public var body: String
    /// When the change happened: retries stop `maxRetrySeconds` after it.
    public var createdAt: Date
    /// When the next attempt is due; a claimed row is pushed past its attempt's timeout (a
    /// lease), so another replica retries it only if this one died.
    public var nextAttemptAt: Date
    /// Attempts claimed so far.
    public var attempts: Int

    public init(id: Int64? = nil, webhook: String, eventID: String, eventType: String, body: String, createdAt: Date,
                nextAttemptAt: Date, attempts: Int = 0) {
        self.id = id
        self.webhook = webhook
        self.eventID = eventID
        self.eventType = eventType
        self.body = body
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One row of `webhook_attempts`: what one attempt got, for `GET /api/admin/webhooks/deliveries`.
public struct WebhookAttemptRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "webhook_attempts"

    public enum Outcome: String, Codable, Sendable, Equatable {
        /// The receiver answered 2xx: the delivery is done.
        case delivered
        /// Failed; another attempt is due at `nextAttemptAt`.
        case retrying
        /// Failed, and the retry time is over: the event is not sent again.
        case abandoned
    }

    public var id: Int64?
    public var webhook: String
    /// The receiver's URL without credentials, query or fragment.
    public var url: String
    public var eventID: String
    public var eventType: String
    public var attempt: Int
    public var statusCode: Int?
    /// Why the attempt failed without a status (connection refused, timeout, TLS), or null.
    public var error: String?
    public var outcome: Outcome
    public var at: Date
    public var nextAttemptAt: Date?

    public init(id: Int64? = nil, webhook: String, url: String, eventID: String, eventType: String, attempt: Int,
                statusCode: Int?, error: String?, outcome: Outcome, at: Date, nextAttemptAt: Date?) {
        self.id = id
        self.webhook = webhook
        self.url = url
        self.eventID = eventID
        self.eventType = eventType
        self.attempt = attempt
        self.statusCode = statusCode
        self.error = error
        self.outcome = outcome
        self.at = at
        self.nextAttemptAt = nextAttemptAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

import Foundation
import PostgresNIO
import Storage

/// `WebhookDeliveryStore` (through `MetadataStore`), as `SQLiteMetadataStore+Webhooks`, for
/// several replicas on one database: a cursor moves only from the position its reader saw, and
/// a due delivery is claimed by one replica (`FOR UPDATE SKIP LOCKED`), the others skipping it.
extension PostgresMetadataStore {
    static let webhookDeliveryColumns = "id, webhook, event_id, event_type, body, created_at, next_attempt_at, attempts"
    static let webhookAttemptColumns = """
        id, webhook, url, event_id, event_type, attempt, status_code, error, outcome, at, next_attempt_at
        """

    public func webhookCursor(webhook: String) throws(StorageError) -> String? {
        try database.withConnection { session throws(StorageError) in
            try session.query("SELECT position FROM webhook_cursors WHERE webhook = \(webhook)")
                .first.map { row throws(StorageError) in try PostgresRows.decode(row, String.self) }
        }
    }

    public func enqueueWebhookDeliveries(_ deliveries: [WebhookDeliveryRecord], webhook: String, expected: String?,
                                         cursor: String) throws(StorageError) -> Bool {
        try database.transaction { session throws(StorageError) in
            let moved = if let expected {
                try session.execute("""
                    UPDATE webhook_cursors SET position = \(cursor) WHERE webhook = \(webhook) AND position = \(expected)
                    """)
            } else {
                try session.execute("""
                    INSERT INTO webhook_cursors (webhook, position) VALUES (\(webhook), \(cursor)) ON CONFLICT (webhook) DO NOTHING
                    """)
            }
            // Another replica read the same events and moved the cursor first: it enqueued them.
            guard moved == 1 else { return false }
            for delivery in deliveries {
                try session.execute("""
                    INSERT INTO webhook_deliveries (webhook, event_id, event_type, body, created_at, next_attempt_at, attempts)
                    VALUES (\(delivery.webhook), \(delivery.eventID), \(delivery.eventType), \(delivery.body),
                            \(delivery.createdAt), \(delivery.nextAttemptAt), \(delivery.attempts))
                    ON CONFLICT (webhook, event_id) DO NOTHING
                    """)
            }
            return true
        }
    }

    public func claimWebhookDeliveries(webhook: String, now: Date, leaseUntil: Date, limit: Int)
        throws(StorageError) -> [WebhookDeliveryRecord] {
        try database.transaction { session throws(StorageError) in
            try session.query("""
                UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = \(leaseUntil)
                WHERE id IN (SELECT id FROM webhook_deliveries WHERE webhook = \(webhook) AND next_attempt_at <= \(now)
                             ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: Self.webhookDeliveryColumns)
                """).map { row throws(StorageError) in try PostgresRows.webhookDelivery(row) }
                .sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        }
    }

    public func finishWebhookAttempt(_ attempt: WebhookAttemptRecord?, delivery: WebhookDeliveryRecord, retryAt: Date?)
        throws(StorageError) -> Bool {
        guard let id = delivery.id else { return false }
        return try database.transaction { session throws(StorageError) in
            let settled = if let retryAt {
                try session.execute("""
                    UPDATE webhook_deliveries SET next_attempt_at = \(retryAt) WHERE id = \(id) AND attempts = \(delivery.attempts)
                    """)
            } else {
                try session.execute("DELETE FROM webhook_deliveries WHERE id = \(id) AND attempts = \(delivery.attempts)")
            }
            guard settled == 1 else { return false }
            guard let attempt else { return true }
            try session.execute("""
                INSERT INTO webhook_attempts (webhook, url, event_id, event_type, attempt, status_code, error, outcome, at,
                                              next_attempt_at)
                VALUES (\(attempt.webhook), \(attempt.url), \(attempt.eventID), \(attempt.eventType), \(attempt.attempt),
                        \(attempt.statusCode), \(attempt.error), \(attempt.outcome.rawValue), \(attempt.at), \(attempt.nextAttemptAt))
                """)
            return true
        }
    }

    public func nextWebhookAttempt(webhook: String) throws(StorageError) -> Date? {
        try database.withConnection { session throws(StorageError) in
            try session.query("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE webhook = \(webhook)")
                .first.flatMap { row throws(StorageError) in try PostgresRows.decode(row, Date?.self) }
        }
    }

    public func pendingWebhookDeliveries() throws(StorageError) -> [String: Int] {
        try database.withConnection { session throws(StorageError) in
            var counts: [String: Int] = [:]
            for row in try session.query("SELECT webhook, COUNT(*) AS count FROM webhook_deliveries GROUP BY webhook") {
                let read = PostgresRows.Reader(row)
                counts[try read("webhook", as: String.self)] = try read("count", as: Int.self)
            }
            return counts
        }
    }

    public func webhookAttempts(beforeID: Int64?, limit: Int) throws(StorageError) -> [WebhookAttemptRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: Self.webhookAttemptColumns) FROM webhook_attempts
                WHERE \(beforeID == nil) OR id < \(beforeID ?? 0) ORDER BY id DESC LIMIT \(limit)
                """).map { row throws(StorageError) in try PostgresRows.webhookAttempt(row) }
        }
    }

    public func pruneWebhookAttempts(olderThan cutoff: Date, limit: Int) throws(StorageError) -> Int {
        try database.transaction { session throws(StorageError) in
            try session.execute("""
                DELETE FROM webhook_attempts WHERE id IN (SELECT id FROM webhook_attempts WHERE at < \(cutoff)
                                                          ORDER BY at, id LIMIT \(limit))
                """)
        }
    }
}

extension PostgresRows {
    static func webhookDelivery(_ row: PostgresRow) throws(StorageError) -> WebhookDeliveryRecord {
        let read = Reader(row)
        return WebhookDeliveryRecord(
            id: try read("id", as: Int64.self), webhook: try read("webhook"), eventID: try read("event_id"),
            eventType: try read("event_type"), body: try read("body"), createdAt: try read("created_at"),
            nextAttemptAt: try read("next_attempt_at"), attempts: try read("attempts"))
    }

    static func webhookAttempt(_ row: PostgresRow) throws(StorageError) -> WebhookAttemptRecord {
        let read = Reader(row)
        let outcomeText: String = try read("outcome")
        guard let outcome = WebhookAttemptRecord.Outcome(rawValue: outcomeText) else {
            throw StorageError(.corrupt, "unknown webhook attempt outcome '\(outcomeText)'")
        }
        return WebhookAttemptRecord(
            id: try read("id", as: Int64.self), webhook: try read("webhook"), url: try read("url"),
            eventID: try read("event_id"), eventType: try read("event_type"), attempt: try read("attempt"),
            statusCode: try read("status_code"), error: try read("error"), outcome: outcome, at: try read("at"),
            nextAttemptAt: try read("next_attempt_at"))
    }
}

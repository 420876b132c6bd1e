import Foundation
import GRDB

/// `WebhookDeliveryStore` (through `MetadataStore`). One process writes this file, so a claim
/// is a plain read and update inside one write transaction.
extension SQLiteMetadataStore {
    /// Migration `v8-webhooks`.
    static func createWebhookTables(_ db: Database) throws {
        try db.create(table: "webhook_cursors") { table in
            table.primaryKey("webhook", .text)
            table.column("position", .text).notNull()
        }
        try db.create(table: "webhook_deliveries") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("webhook", .text).notNull()
            table.column("eventID", .text).notNull()
            table.column("eventType", .text).notNull()
            table.column("body", .text).notNull()
            table.column("createdAt", .datetime).notNull()
            table.column("nextAttemptAt", .datetime).notNull()
            table.column("attempts", .integer).notNull()
            table.uniqueKey(["webhook", "eventID"])
        }
        try db.create(index: "webhook_deliveries_due", on: "webhook_deliveries", columns: ["webhook", "nextAttemptAt"])
        try db.create(table: "webhook_attempts") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("webhook", .text).notNull()
            table.column("url", .text).notNull()
            table.column("eventID", .text).notNull()
            table.column("eventType", .text).notNull()
            table.column("attempt", .integer).notNull()
            table.column("statusCode", .integer)
            table.column("error", .text)
            table.column("outcome", .text).notNull()
            table.column("at", .datetime).notNull().indexed()
            table.column("nextAttemptAt", .datetime)
        }
    }

    public func webhookCursor(webhook: String) throws(StorageError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT position FROM webhook_cursors WHERE webhook = ?", arguments: [webhook])
        }
    }

    public func enqueueWebhookDeliveries(_ deliveries: [WebhookDeliveryRecord], webhook: String, expected: String?,
                                         cursor: String) throws(StorageError) -> Bool {
        try write { db in
            let current = try String.fetchOne(db, sql: "SELECT position FROM webhook_cursors WHERE webhook = ?",
                                              arguments: [webhook])
            guard current == expected else { return false }
            for var delivery in deliveries {
                try delivery.insert(db, onConflict: .ignore)
            }
            try db.execute(sql: """
                INSERT INTO webhook_cursors (webhook, position) VALUES (?, ?)
                ON CONFLICT (webhook) DO UPDATE SET position = excluded.position
                """, arguments: [webhook, cursor])
            return true
        }
    }

    public func claimWebhookDeliveries(webhook: String, now: Date, leaseUntil: Date, limit: Int)
        throws(StorageError) -> [WebhookDeliveryRecord] {
        try write { db in
            var due = try WebhookDeliveryRecord
                .filter(Column("webhook") == webhook && Column("nextAttemptAt") <= now)
                .order(Column("nextAttemptAt"), Column("id"))
                .limit(limit)
                .fetchAll(db)
            for index in due.indices {
                due[index].attempts += 1
                due[index].nextAttemptAt = leaseUntil
                try due[index].update(db)
            }
            return due
        }
    }

    public func finishWebhookAttempt(_ attempt: WebhookAttemptRecord?, delivery: WebhookDeliveryRecord, retryAt: Date?)
        throws(StorageError) -> Bool {
        try write { db in
            guard let id = delivery.id,
                  try Int.fetchOne(db, sql: "SELECT attempts FROM webhook_deliveries WHERE id = ?", arguments: [id])
                    == delivery.attempts else { return false }
            if let retryAt {
                try db.execute(sql: "UPDATE webhook_deliveries SET nextAttemptAt = ? WHERE id = ?", arguments: [retryAt, id])
            } else {
                try db.execute(sql: "DELETE FROM webhook_deliveries WHERE id = ?", arguments: [id])
            }
            if var attempt { try attempt.insert(db) }
            return true
        }
    }

    public func nextWebhookAttempt(webhook: String) throws(StorageError) -> Date? {
        try read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM webhook_deliveries WHERE webhook = ?",
                              arguments: [webhook])
        }
    }

    public func pendingWebhookDeliveries() throws(StorageError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT webhook, COUNT(*) AS count FROM webhook_deliveries GROUP BY webhook") {
                counts[row["webhook"] as String] = row["count"] as Int
            }
            return counts
        }
    }

    public func webhookAttempts(beforeID: Int64?, limit: Int) throws(StorageError) -> [WebhookAttemptRecord] {
        try read { db in
            var request = WebhookAttemptRecord.all()
            if let beforeID { request = request.filter(Column("id") < beforeID) }
            return try request.order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    public func pruneWebhookAttempts(olderThan cutoff: Date, limit: Int) throws(StorageError) -> Int {
        try write { db in
            try db.execute(sql: """
                DELETE FROM webhook_attempts WHERE id IN (SELECT id FROM webhook_attempts WHERE at < ? ORDER BY id LIMIT ?)
                """, arguments: [cutoff, limit])
            return db.changesCount
        }
    }
}

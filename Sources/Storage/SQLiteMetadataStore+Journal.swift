import Foundation
import GRDB

/// The change journal (`ChangeEvent`) in SQLite: one writer, so ids from AUTOINCREMENT grow in
/// commit order and are never reused, even after retention empties the table.
extension SQLiteMetadataStore {
    /// Migration `v7-change-journal`.
    static func createChangeJournal(_ db: Database) throws {
        try db.create(table: "change_events") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("at", .datetime).notNull()
            table.column("type", .text).notNull()
            table.column("repository", .text)
            table.column("generation", .integer).notNull()
            table.column("name", .text)
            table.column("version", .text)
            table.column("fingerprint", .text)
            table.column("actor", .text)
            table.column("data", .text)
        }
        try db.create(index: "change_events_by_age", on: "change_events", columns: ["at", "id"])
        // One counter per repository, and one (`trust`, '') for trust-wide events.
        try db.create(table: "change_generations") { table in
            table.column("scope", .text).notNull()
            table.column("repository", .text).notNull()
            table.column("generation", .integer).notNull()
            table.primaryKey(["scope", "repository"])
        }
    }

    /// Journals `entry` inside the caller's write transaction: the scope's generation grows by
    /// one, and the row takes the next id. Nothing when `entry` is nil.
    static func journal(_ entry: JournalEntry?, _ db: Database) throws {
        guard let entry else { return }
        let scope: [any DatabaseValueConvertible] = entry.repository.map { ["repository", $0] } ?? ["trust", ""]
        try db.execute(sql: """
            INSERT INTO change_generations (scope, repository, generation) VALUES (?, ?, 1)
            ON CONFLICT (scope, repository) DO UPDATE SET generation = generation + 1
            """, arguments: StatementArguments(scope))
        let generation = try Int64.fetchOne(db, sql: "SELECT generation FROM change_generations WHERE scope = ? AND repository = ?",
                                            arguments: StatementArguments(scope)) ?? 1
        try db.execute(sql: """
            INSERT INTO change_events (at, type, repository, generation, name, version, fingerprint, actor, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Date(), entry.type.rawValue, entry.repository, generation, entry.name, entry.version,
                             entry.fingerprint, entry.actor, entry.data])
    }

    public func events(after id: Int64, limit: Int) throws(StorageError) -> [ChangeEvent] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, at, type, repository, generation, name, version, fingerprint, actor, data FROM change_events
                WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [id, max(0, limit)]).map { row in
                ChangeEvent(id: row["id"], at: row["at"], type: ChangeEventType(stored: row["type"]), repository: row["repository"],
                                   generation: row["generation"], name: row["name"], version: row["version"],
                                   fingerprint: row["fingerprint"], actor: row["actor"], data: row["data"])
            }
        }
    }

    public func latestEventID() throws(StorageError) -> Int64 {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'change_events'") ?? 0
        }
    }

    public func generations() throws(StorageError) -> [String: Int64] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT repository, generation FROM change_generations WHERE scope = 'repository'
                """).map { row in (row["repository"] as String, row["generation"] as Int64) })
        }
    }
}

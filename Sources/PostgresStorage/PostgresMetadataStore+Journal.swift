import Foundation
import PostgresNIO
import Storage

/// The change journal (`ChangeEvent`) in PostgreSQL, and the notification that wakes replicas.
///
/// A change transaction ends with `journal`: it bumps its scope's generation row, takes the next
/// id from the one `change_journal_head` row, inserts the event and queues a `pg_notify`
/// (delivered at commit). Both rows stay locked until the commit, so ids are given in commit
/// order: a bigserial would let a transaction that took id 9 commit after the one that took 10,
/// and a reader past 10 would never see 9. The head row serializes only this tail of each
/// change (a few statements and the commit), taken last so that no lock is held while waiting for
/// it and no two transactions take the two locks in opposite orders.
extension PostgresMetadataStore {
    /// The channel every change is announced on; the payload is a `ChangeNotification`.
    public static let notificationChannel = "chartwarden_changes"

    static func journal(_ entry: JournalEntry?, _ session: PostgresSession) throws(StorageError) {
        guard let entry else { return }
        let scope = entry.repository == nil ? "trust" : "repository"
        let key = entry.repository ?? ""
        guard let generationRow = try session.query("""
            INSERT INTO change_generations (scope, repository, generation) VALUES (\(scope), \(key), 1)
            ON CONFLICT (scope, repository) DO UPDATE SET generation = change_generations.generation + 1
            RETURNING generation
            """).first,
            let idRow = try session.query("UPDATE change_journal_head SET last_id = last_id + 1 RETURNING last_id").first
        else { throw StorageError(.corrupt, "the change journal's counters are missing") }
        let generation = try PostgresRows.decode(generationRow, Int64.self)
        let id = try PostgresRows.decode(idRow, Int64.self)
        try session.execute("""
            INSERT INTO change_events (id, at, type, repository, generation, name, version, fingerprint, actor, data)
            VALUES (\(id), \(Date()), \(entry.type.rawValue), \(entry.repository), \(generation), \(entry.name),
                    \(entry.version), \(entry.fingerprint), \(entry.actor), \(entry.data))
            """)
        let payload = try StoredJSON.encode(ChangeNotification(id: id, repository: entry.repository, generation: generation))
        try session.execute("SELECT pg_notify(\(notificationChannel), \(payload))")
    }

    public func events(after id: Int64, limit: Int) throws(StorageError) -> [ChangeEvent] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT id, at, type, repository, generation, name, version, fingerprint, actor, data FROM change_events
                WHERE id > \(id) ORDER BY id LIMIT \(max(0, limit))
                """).map { row throws(StorageError) in
                let read = PostgresRows.Reader(row)
                return ChangeEvent(id: try read("id"), at: try read("at"), type: ChangeEventType(stored: try read("type")),
                                   repository: try read("repository"),
                                   generation: try read("generation"), name: try read("name"), version: try read("version"),
                                   fingerprint: try read("fingerprint"), actor: try read("actor"), data: try read("data"))
            }
        }
    }

    public func latestEventID() throws(StorageError) -> Int64 {
        try database.withConnection { session throws(StorageError) in
            guard let row = try session.query("SELECT last_id FROM change_journal_head").first else { return 0 }
            return try PostgresRows.decode(row, Int64.self)
        }
    }

    public func generations() throws(StorageError) -> [String: Int64] {
        try database.withConnection { session throws(StorageError) in
            var generations: [String: Int64] = [:]
            for row in try session.query("SELECT repository, generation FROM change_generations WHERE scope = 'repository'") {
                let read = PostgresRows.Reader(row)
                generations[try read("repository")] = try read("generation")
            }
            return generations
        }
    }
}

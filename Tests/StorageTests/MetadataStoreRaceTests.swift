import ChartModel
import Dispatch
import Foundation
import OpenSSLSupport
@testable import PostgresStorage
import Storage
import Synchronization
import Testing

/// Racing writers, as replicas on one database are: the store's unique constraints decide, never
/// a check-then-act in the caller.
@Suite struct MetadataStoreRaceTests {
    /// Sixteen concurrent inserts of one version (for PostgreSQL through four stores on the same
    /// database, as four replicas): exactly one row, and every other insert is a `.conflict`.
    @Test(arguments: StoreBackend.available)
    func racingInsertsOfOneVersionGiveOneRow(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        try opened.store.ensureRepository("stable")
        // One SQLite store per process (several would see SQLITE_BUSY, not the constraint).
        let stores = backend == .postgres ? try (0..<4).map { _ in try opened.reopen() } : [opened.store]
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            var record = SQLiteMetadataStoreTests.record("demo", "1.0.0")
            record.uploader = "user:writer\(index)"
            let outcome: String
            do {
                _ = try stores[index % stores.count].insertChart(record, audit: nil)
                outcome = "stored"
            } catch {
                outcome = (error as? StorageError)?.code.rawValue ?? "\(error)"
            }
            outcomes.withLock { $0.append(outcome) }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.filter { $0 == "stored" }.count == 1)
        #expect(all.filter { $0 == "conflict" }.count == 15)
        #expect(try opened.store.charts(repository: "stable", statuses: [.active]).count == 1)
    }

    /// Content addressing: the same bytes stored twice are one blob; read back whole.
    @Test(arguments: StoreBackend.available)
    func blobsAreContentAddressed(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let blobs = try opened.blobs()
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let first = try blobs.write(bytes)
        let writer = try blobs.beginWrite()
        try writer.append(Array(bytes[..<1_000]))
        try writer.append(Array(bytes[1_000...]))
        #expect(writer.bytesWritten == Int64(bytes.count))
        #expect(try writer.commit() == first)
        #expect(try blobs.allDigests() == [first])
        #expect(try blobs.read(first) == bytes)
        #expect(try blobs.size(of: first) == Int64(bytes.count))
        let aborted = try blobs.beginWrite()
        try aborted.append(Array("never stored".utf8))
        aborted.abort()
        #expect(try blobs.allDigests() == [first])
        try blobs.delete(first)
        #expect(!blobs.contains(first))
        #expect(throws: StorageError.self) { try blobs.read(first) }
    }
}

/// PostgreSQL only: the URL form, and migrations applied once under the advisory lock.
@Suite struct PostgresStoreTests {
    @Test func urlsParseLikeLibpq() throws {
        let tcp = try PostgresURL("postgresql://cw:secret@db.example:6543/charts")
        #expect(tcp.username == "cw" && tcp.password == "secret" && tcp.host == "db.example" && tcp.port == 6543)
        #expect(tcp.database == "charts" && tcp.socketPath == nil)
        #expect(tcp.description == "postgresql://cw@db.example:6543/charts")
        let socket = try PostgresURL("postgres://cw@/charts?host=/run/postgresql")
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        for bad in ["mysql://cw@h/db", "postgresql://h:5432/db", "postgresql://cw@h:5432/", "postgresql://cw@h/db?sslmode=x",
                    "postgresql://cw@/db", "not a url"] {
            #expect(throws: StorageError.self, "\(bad)") { try PostgresURL(bad) }
        }
    }

    @Test(.disabled(if: StoreBackend.postgresURL == nil, "skipped: no PostgreSQL"))
    func replicasStartingTogetherMigrateOnce() throws {
        let database = try TestDatabase()
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                _ = try PostgresMetadataStore(database: database.connect())
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let versions = try database.connect().withConnection { session throws(StorageError) in
            try session.query("SELECT version FROM chartwarden_migrations ORDER BY version").count
        }
        #expect(versions == PostgresMigrations.all.count)
    }

    @Test(.disabled(if: StoreBackend.postgresURL == nil, "skipped: no PostgreSQL"))
    func anUnreachableDatabaseIsAClearError() throws {
        var url = try PostgresURL(try #require(StoreBackend.postgresURL))
        url.password = "wrong"
        let error = #expect(throws: StorageError.self) { try PostgresPool(url: url, password: nil) }
        #expect(error?.message.contains("cannot connect to PostgreSQL at \(url)") == true)
        #expect(error?.message.contains("wrong") == false)
    }
}

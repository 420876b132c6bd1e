import Foundation
import PostgresNIO
import PostgresStorage
import Storage
import Testing

/// The metadata stores one shared test body runs against: SQLite always, PostgreSQL when
/// CHARTWARDEN_TEST_POSTGRES_URL names a server (scripts/test.sh starts a private cluster and
/// sets it; `scripts/postgres.sh start DIR` prints one).
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let postgresURL = ProcessInfo.processInfo.environment["CHARTWARDEN_TEST_POSTGRES_URL"].flatMap { text in
        text.isEmpty ? nil : text
    }

    /// The backends this run can reach.
    static var available: [StoreBackend] { postgresURL == nil ? [.sqlite] : allCases }

    var testDescription: String { rawValue }

    /// A fresh, empty store: a new SQLite file, or a new PostgreSQL database.
    func open() throws -> OpenedStore {
        switch self {
        case .sqlite: try OpenedStore(sqlite: TemporaryDirectory())
        case .postgres: try OpenedStore(postgres: TestDatabase())
        }
    }
}

/// A store for one test, and what it lives in (a directory or a database), released with it.
final class OpenedStore {
    let store: any MetadataStore
    let directory: TemporaryDirectory
    let database: TestDatabase?

    init(sqlite directory: TemporaryDirectory) throws {
        self.directory = directory
        database = nil
        store = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
    }

    init(postgres database: TestDatabase) throws {
        directory = try TemporaryDirectory()
        self.database = database
        store = try PostgresMetadataStore(database: database.connect())
    }

    /// A second store on the same data, as after a restart (or as another replica).
    func reopen() throws -> any MetadataStore {
        if let database { return try PostgresMetadataStore(database: database.connect()) }
        return try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
    }

    /// A blob store beside the metadata (PostgreSQL's own table, or files in the directory).
    func blobs() throws -> any BlobStore {
        if let database { return PostgresBlobStore(database: try database.connect()) }
        return try FileBlobStore(root: directory.path + "/blobs")
    }
}

/// A new database on the test server, dropped when released.
final class TestDatabase: Sendable {
    let name: String
    let url: PostgresURL
    private let admin: PostgresPool

    init() throws {
        let name = "cw_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        self.name = name
        let serverURL = try PostgresURL(try #require(StoreBackend.postgresURL))
        admin = try PostgresPool(url: serverURL, password: nil)
        try admin.withConnection { session throws(StorageError) in
            try session.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var url = serverURL
        url.database = name
        self.url = url
    }

    func connect() throws -> PostgresPool {
        try PostgresPool(url: url, password: nil)
    }

    deinit {
        let name = name
        try? admin.withConnection { session throws(StorageError) in
            try session.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }
}

@Suite struct StoreBackendTests {
    /// Says in the test report when the PostgreSQL half of the store tests did not run.
    @Test(.disabled(if: StoreBackend.postgresURL == nil, "skipped: no PostgreSQL (set CHARTWARDEN_TEST_POSTGRES_URL)"))
    func postgresServerIsReachable() throws {
        let opened = try StoreBackend.postgres.open()
        try opened.store.ensureRepository("stable")
    }
}

import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Storage
import Synchronization

/// A few PostgreSQL connections on an event loop group of their own, used synchronously.
///
/// The store protocols are synchronous and called only on NIO's thread pool (`BlockingWork`):
/// a caller takes a connection, runs its statements and waits for each answer from the pool
/// thread (`blockingResult`), which never blocks one of this group's event loops (nor, after
/// start, any other: only `serve`'s one-time open runs elsewhere). Connections are opened on
/// demand and kept for reuse; a broken one is dropped and the next call opens a fresh one, so
/// the stores recover on their own once the database is back. Every failure reaching a caller
/// is a `StorageError`; one that says the database cannot be reached or did not answer within
/// `timeouts` is `.unavailable`, so no caller waits on a dead database.
public final class PostgresPool: Sendable {
    public let url: PostgresURL
    public let timeouts: PostgresTimeouts
    /// Also how the change listener (`PostgresChangeListener`) connects.
    package let configuration: PostgresConnection.Configuration
    private let group: MultiThreadedEventLoopGroup
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(0)
    private let logger: Logger
    /// Connections kept for reuse; more may be open at once while the pool threads need them.
    static let maximumIdle = 8

    /// Opens the first connection at once, so that a wrong address, user or password is an error
    /// at start, naming the URL (never the password).
    public init(url: PostgresURL, password: String?, timeouts: PostgresTimeouts = .requests,
                logger: Logger = Logger(label: "chartwarden.postgres")) throws(StorageError) {
        self.url = url
        self.timeouts = timeouts
        let password = password ?? url.password
        var configuration = if let socketPath = url.socketPath {
            PostgresConnection.Configuration(unixSocketPath: socketPath, username: url.username, password: password,
                                             database: url.database)
        } else {
            PostgresConnection.Configuration(host: url.host, port: url.port, username: url.username, password: password,
                                             database: url.database, tls: .disable)
        }
        configuration.options.connectTimeout = timeouts.connect
        // The server cancels a statement past it (locks, load); the client's deadline is a little longer.
        configuration.options.additionalStartupParameters = [("statement_timeout", timeouts.statementSetting)]
        self.configuration = configuration
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try withConnection { _ throws(StorageError) in }
        } catch {
            group.shutdownGracefully { _ in }
            throw error
        }
    }

    deinit {
        for connection in idle.withLock({ $0 }) { try? (connection.close() as EventLoopFuture<Void>).blockingResult() }
        group.shutdownGracefully { _ in }
    }

    /// Runs `body` on one connection (autocommit: each statement its own transaction). Each
    /// answer is waited for at most `answerLimit` (default: `timeouts.answer`).
    public func withConnection<T>(answerLimit: TimeAmount? = nil, _ body: (PostgresSession) throws(StorageError) -> T)
        throws(StorageError) -> T {
        let connection = try checkOut()
        let session = PostgresSession(connection: connection, logger: logger, answerLimit: answerLimit ?? timeouts.answer)
        do throws(StorageError) {
            let result = try body(session)
            giveBack(session)
            return result
        } catch {
            // A connection that failed as unavailable (timed out, broken, the server shutting
            // down) may still look open while it closes: never hand it to the next caller.
            if error.code == .unavailable { session.close() }
            giveBack(session)
            throw error
        }
    }

    /// Runs `body` in one transaction (read committed), committed when it returns and rolled
    /// back when it throws. `patience` replaces the pool's timeouts for this transaction only
    /// (schema migrations).
    public func transaction<T>(patience: PostgresTimeouts? = nil, _ body: (PostgresSession) throws(StorageError) -> T)
        throws(StorageError) -> T {
        try withConnection(answerLimit: patience?.answer) { session throws(StorageError) in
            try session.execute("BEGIN")
            if let patience {
                try session.execute(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = '\(patience.statementSetting)'"))
            }
            do throws(StorageError) {
                let result = try body(session)
                try session.execute("COMMIT")
                return result
            } catch {
                // A connection that cannot even roll back is not reused half inside a transaction.
                do { try session.execute("ROLLBACK") } catch { session.close() }
                throw error
            }
        }
    }

    /// Whether the database answers now: one `SELECT 1` on a pooled (or new) connection, waited
    /// for at most `answerLimit`. What readiness asks.
    public func checkReachable(answerLimit: TimeAmount) throws(StorageError) {
        try withConnection(answerLimit: answerLimit) { session throws(StorageError) in
            try session.execute("SELECT 1")
        }
    }

    /// Lends a connection until `giveBack` (a session-level advisory lock lives as long as its
    /// connection, so it must not be shared meanwhile).
    func lend() throws(StorageError) -> PostgresSession {
        PostgresSession(connection: try checkOut(), logger: logger, answerLimit: timeouts.answer)
    }

    /// Returns the session's connection to the pool, unless it is being closed.
    func giveBack(_ session: PostgresSession) {
        if !session.isClosing { checkIn(session.connection) }
    }

    private func checkOut() throws(StorageError) -> PostgresConnection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if !connection.isClosed { return connection }
        }
        let connecting = PostgresConnection.connect(on: group.next(), configuration: configuration,
                                                    id: nextID.wrappingAdd(1, ordering: .relaxed).newValue,
                                                    logger: logger)
        do {
            // The TCP connect has its own timeout; the login after it is bounded here too.
            return try connecting.blockingResult(within: timeouts.connect + timeouts.grace)
        } catch {
            if error is PostgresDeadlineExceeded {
                connecting.whenSuccess { connection in connection.discard() }
            }
            // Whatever the cause (refused, timed out, shutting down, a login refused), nothing
            // can be done on this database now.
            throw StorageError(.unavailable, "cannot connect to PostgreSQL at \(url): \(PostgresSession.describe(error))")
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        let kept = idle.withLock { idle in
            guard idle.count < Self.maximumIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { connection.discard() }
    }
}

import Logging
import NIOCore
import PostgresNIO
import Storage
import Synchronization

/// One connection lent to a caller on the thread pool: statements run one after the other and
/// each answer is waited for from the calling (pool) thread, at most `answerLimit`: past it the
/// connection is closed (which fails the statement on the server's side too) and the call is
/// `.unavailable`.
public struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    var answerLimit: TimeAmount? = nil
    /// Set once the connection is being closed: it may still look open for a moment, and must
    /// not go back to the pool.
    private let closing = ClosingMark()

    /// Whether `close()` was called on this session's connection.
    var isClosing: Bool { closing.isSet.load(ordering: .acquiring) }

    /// Every row of `query`.
    @discardableResult
    public func query(_ query: PostgresQuery) throws(StorageError) -> [PostgresRow] {
        do {
            return try run(query).rows
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Runs `query` and returns how many rows it changed.
    @discardableResult
    public func execute(_ query: PostgresQuery) throws(StorageError) -> Int {
        do {
            return try run(query).metadata.rows ?? 0
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Runs `query` under a savepoint: a unique violation rolls back only this statement and
    /// returns nil (the caller then says which row is in the way), anything else throws.
    public func unlessUnique(_ query: PostgresQuery) throws(StorageError) -> PostgresQueryResult? {
        try execute("SAVEPOINT unique_guard")
        do {
            let result = try run(query)
            try execute("RELEASE SAVEPOINT unique_guard")
            return result
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == Self.uniqueViolation {
            try execute("ROLLBACK TO SAVEPOINT unique_guard")
            return nil
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Drops the connection (it is not reused).
    func close() {
        closing.isSet.store(true, ordering: .releasing)
        connection.discard()
    }

    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        do {
            return try connection.query(query, logger: logger).blockingResult(within: answerLimit)
        } catch let error as PostgresDeadlineExceeded {
            // The answer may still come, or never: this connection is done either way.
            close()
            throw error
        }
    }

    static let uniqueViolation = "23505"

    static func storageError(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        if let deadline = error as? PostgresDeadlineExceeded {
            return StorageError(.unavailable, "PostgreSQL did not answer within \(deadline.limit.nanoseconds / 1_000_000) ms")
        }
        return StorageError(PostgresFailure.code(of: error), "PostgreSQL: \(describe(error))")
    }

    /// The server's message and SQL state, or the client's error code; never the query's binds.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (\(error.serverInfo?[.sqlState] ?? "?"))"
        }
        return "\(error.code)"
    }
}

/// Shared by the copies of one session.
final class ClosingMark: Sendable {
    let isSet = Atomic<Bool>(false)
}

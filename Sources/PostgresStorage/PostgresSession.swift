import Logging
import NIOCore
import PostgresNIO
import Storage

/// One connection lent to a caller on the thread pool: statements run one after the other and
/// each answer is waited for from the calling (pool) thread.
public struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

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
        _ = connection.close() as EventLoopFuture<Void>
    }

    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try connection.query(query, logger: logger).blockingResult()
    }

    static let uniqueViolation = "23505"

    static func storageError(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        return StorageError(.io, "PostgreSQL: \(describe(error))")
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

import PostgresNIO
import Storage

/// Which PostgreSQL failures mean "unavailable" (503 with `Retry-After`: nothing committed,
/// try again later) rather than a fault of this request or of the data (500). Pure: judged on
/// the client's error code and the server's SQL state only.
enum PostgresFailure {
    /// The storage code of a failed call.
    static func code(of error: any Error) -> StorageError.Code {
        if let error = error as? StorageError { return error.code }
        if error is PostgresDeadlineExceeded { return .unavailable }
        guard let error = error as? PSQLError else {
            // Socket and channel errors of NIO: the connection, not the statement, failed.
            return .unavailable
        }
        return code(client: error.code, sqlState: error.serverInfo?[.sqlState])
    }

    static func code(client: PSQLError.Code, sqlState: String?) -> StorageError.Code {
        if client == .server { return sqlState.map(code(sqlState:)) ?? .io }
        return unavailableClientCodes.contains(client) ? .unavailable : .io
    }

    /// The connection broke or was never made; or the statement was cancelled (our deadline).
    static let unavailableClientCodes: [PSQLError.Code] = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
        .queryCancelled, .sslUnsupported, .failedToAddSSLHandler,
    ]

    /// SQL states (PostgreSQL's appendix A) of a server that cannot do the work now.
    static func code(sqlState: String) -> StorageError.Code {
        switch sqlState {
        // Class 08, connection exception; class 53, insufficient resources (too many connections,
        // disk full, out of memory).
        case _ where sqlState.hasPrefix("08") || sqlState.hasPrefix("53"): .unavailable
        // admin_shutdown, crash_shutdown, cannot_connect_now (starting or stopping), query_canceled
        // (statement_timeout), lock_not_available, read_only_sql_transaction (a standby after a
        // failover, until the address points at the new primary).
        case "57P01", "57P02", "57P03", "57014", "55P03", "25006": .unavailable
        default: .io
        }
    }
}

import NIOCore

/// How long a PostgreSQL call may take before it is a failure (`StorageError.unavailable`), so
/// that a database that is down, restarting or cut off answers a request with 503 instead of
/// holding it. Three limits: the TCP connect (postgres-nio's own), the server's
/// `statement_timeout` (it cancels a statement stuck on locks or load), and a client-side
/// deadline a little longer for each answer, which also covers a peer that vanished without
/// closing its socket: past it the connection is closed and never reused.
public struct PostgresTimeouts: Sendable, Equatable {
    public var connect: TimeAmount
    public var statement: TimeAmount
    /// Slack over `statement` for the server's own cancellation to arrive first.
    public var grace: TimeAmount

    public init(connect: TimeAmount, statement: TimeAmount, grace: TimeAmount) {
        self.connect = connect
        self.statement = statement
        self.grace = grace
    }

    /// Requests: short enough that a client retrying after `Retry-After` is not kept waiting.
    public static let requests = PostgresTimeouts(connect: .seconds(5), statement: .seconds(10), grace: .seconds(2))
    /// Schema migrations at start (an index built on a large table, a replica waiting for
    /// another's migration): patient, but never forever.
    public static let migrations = PostgresTimeouts(connect: .seconds(5), statement: .minutes(10), grace: .seconds(5))

    /// The client-side limit on one answer (a statement's, or the login's after connect).
    public var answer: TimeAmount { statement + grace }

    /// `statement_timeout` in the form PostgreSQL reads (milliseconds).
    public var statementSetting: String { "\(max(1, statement.nanoseconds / 1_000_000))ms" }
}

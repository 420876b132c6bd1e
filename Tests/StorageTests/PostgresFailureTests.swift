import Foundation
import NIOCore
import PostgresNIO
@testable import PostgresStorage
import Storage
import Testing

/// Which PostgreSQL failures are "unavailable" (503 and `Retry-After`: nothing committed, retry
/// later) and which are faults (500): judged on the SQL state and the client's code only.
@Suite struct PostgresFailureTests {
    @Test(arguments: ["57P01", "57P02", "57P03", "57014", "55P03", "25006", "08006", "08001", "53300", "53100"])
    func aServerThatCannotDoTheWorkNowIsUnavailable(_ sqlState: String) {
        #expect(PostgresFailure.code(client: .server, sqlState: sqlState) == .unavailable)
    }

    @Test(arguments: ["23505", "42P01", "22P02", "40001", "XX000"])
    func aFaultOfTheStatementOrDataIsNot(_ sqlState: String) {
        #expect(PostgresFailure.code(client: .server, sqlState: sqlState) == .io)
    }

    @Test func aBrokenOrRefusedConnectionIsUnavailableAProtocolFaultIsNot() {
        for code: PSQLError.Code in [.connectionError, .serverClosedConnection, .clientClosedConnection,
                                     .uncleanShutdown, .queryCancelled, .poolClosed] {
            #expect(PostgresFailure.code(client: code, sqlState: nil) == .unavailable, "\(code)")
        }
        for code: PSQLError.Code in [.messageDecodingFailure, .unexpectedBackendMessage, .tooManyParameters] {
            #expect(PostgresFailure.code(client: code, sqlState: nil) == .io, "\(code)")
        }
        #expect(PostgresFailure.code(client: .server, sqlState: nil) == .io)
        #expect(PostgresFailure.code(of: PostgresDeadlineExceeded(limit: .seconds(1))) == .unavailable)
        #expect(PostgresFailure.code(of: StorageError(.conflict, "taken")) == .conflict)
    }

    @Test func theServerCancelsBeforeTheClientGivesUp() {
        let timeouts = PostgresTimeouts.requests
        #expect(timeouts.statementSetting == "10000ms")
        #expect(timeouts.answer > timeouts.statement)
        #expect(PostgresTimeouts.migrations.statement > timeouts.statement)
    }

    /// A peer that accepts the TCP connection and then never says a word (a stopped VM, a
    /// dropped route): the login is bounded by the client's deadline, and the failure is
    /// `.unavailable`, never a hang.
    @Test func aPeerThatNeverAnswersIsUnavailableNotAHang() throws {
        let silent = try SilentListener()
        let url = try PostgresURL("postgresql://cw@127.0.0.1:\(silent.port)/charts")
        let quick = PostgresTimeouts(connect: .seconds(1), statement: .seconds(1), grace: .milliseconds(500))
        let error = #expect(throws: StorageError.self) { try PostgresPool(url: url, password: "x", timeouts: quick) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("cannot connect to PostgreSQL at \(url)") == true)
    }

    /// The server's `statement_timeout` cancels a statement stuck past the limit.
    @Test(.disabled(if: StoreBackend.postgresURL == nil, "skipped: no PostgreSQL"))
    func aStatementPastTheLimitIsCancelledAsUnavailable() throws {
        let database = try TestDatabase()
        let quick = PostgresTimeouts(connect: .seconds(5), statement: .milliseconds(300), grace: .seconds(5))
        let pool = try PostgresPool(url: database.url, password: nil, timeouts: quick)
        let error = #expect(throws: StorageError.self) {
            try pool.withConnection { session throws(StorageError) in try session.execute("SELECT pg_sleep(30)") }
        }
        #expect(error?.code == .unavailable)
        // The pool goes on serving.
        _ = try pool.withConnection { session throws(StorageError) in try session.execute("SELECT 1") }
    }

    /// An answer that does not come within the client's deadline (here the server's own limit
    /// is lifted, as for a peer gone silent mid-statement): the call fails `.unavailable` and
    /// that connection is closed, not handed to the next caller.
    @Test(.disabled(if: StoreBackend.postgresURL == nil, "skipped: no PostgreSQL"))
    func anAnswerPastTheClientDeadlineClosesTheConnection() throws {
        let database = try TestDatabase()
        let pool = try database.connect()
        let error = #expect(throws: StorageError.self) {
            try pool.withConnection(answerLimit: .milliseconds(300)) { session throws(StorageError) in
                try session.execute("SET statement_timeout = 0")
                try session.execute("SELECT pg_sleep(30)")
            }
        }
        #expect(error?.code == .unavailable)
        // The next call gets a fresh connection, whose statement_timeout is the pool's again.
        let rows = try pool.withConnection { session throws(StorageError) in try session.query("SHOW statement_timeout") }
        #expect(try PostgresRows.decode(try #require(rows.first), String.self) == "10s")
    }
}

/// A loopback TCP listener that never accepts: the kernel completes handshakes into its
/// backlog, so a client connects and then waits for an answer that never comes.
final class SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}

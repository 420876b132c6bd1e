import Foundation
import Storage

/// Where the database is, from `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (libpq's form;
/// `postgres://` too). A unix socket is named as libpq does, by its directory in `?host=/dir`
/// (the socket is `/dir/.s.PGSQL.PORT`). Pure parsing: nothing is contacted here, so the
/// configuration can refuse a bad URL with its key before anything starts.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var username: String
    /// A password written in the URL itself; `storage.postgres.passwordFile` or
    /// CHARTWARDEN_POSTGRES_PASSWORD are the places meant for it.
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// The unix socket's directory, when `?host=` names one.
    public var socketDirectory: String?

    public init(_ text: String) throws(StorageError) {
        func invalid(_ why: String) -> StorageError {
            StorageError(.corrupt, "not a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE): \(why)")
        }
        guard let components = URLComponents(string: text) else { throw invalid("it does not parse as a URL") }
        guard components.scheme == "postgresql" || components.scheme == "postgres" else {
            throw invalid("the scheme must be postgresql://")
        }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user") }
        username = user
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw invalid("it names no database") }
        database = path
        port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw invalid("port \(port) is out of range") }
        var socketDirectory: String?
        for item in components.queryItems ?? [] {
            guard item.name == "host", let value = item.value, value.hasPrefix("/") else {
                throw invalid("only ?host=/socket/directory is understood, not '\(item.name)'")
            }
            socketDirectory = value
        }
        self.socketDirectory = socketDirectory
        host = components.host ?? ""
        guard !host.isEmpty || socketDirectory != nil else { throw invalid("it names no host") }
    }

    /// The path of the unix socket, when connecting through one.
    public var socketPath: String? {
        socketDirectory.map { "\($0)/.s.PGSQL.\(port)" }
    }

    /// The URL without its password, for messages and logs.
    public var description: String {
        "postgresql://\(username)@\(host):\(port)/\(database)" + (socketDirectory.map { "?host=\($0)" } ?? "")
    }
}

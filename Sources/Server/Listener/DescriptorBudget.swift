#if canImport(Glibc)
import ChartWardenCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the process may open enough file descriptors for the configured connection limits,
/// as a pure decision over the RLIMIT_NOFILE values; `ensure` reads and raises the limit.
///
/// Without this, a flood reaches EMFILE before `server.maxConnections`: accept fails for everyone,
/// and so do the server's own files (SQLite, blobs, GnuPG).
struct DescriptorBudget: Equatable, Sendable {
    /// Descriptors kept for everything but client connections: listeners, SQLite, blobs, GnuPG.
    static let reserve: UInt64 = 256

    enum Decision: Equatable, Sendable {
        case enough
        /// Raise the soft limit to this value (at most the hard limit).
        case raise(to: UInt64)
        /// Even the hard limit is too low.
        case insufficient(needed: UInt64, hard: UInt64)
    }

    let listeners: Int
    let maxConnections: Int

    var needed: UInt64 { UInt64(listeners) * UInt64(maxConnections) + Self.reserve }

    func decide(soft: UInt64, hard: UInt64) -> Decision {
        if soft >= needed { return .enough }
        guard hard >= needed else { return .insufficient(needed: needed, hard: hard) }
        // The whole hard limit when it is finite; an unlimited one cannot be a soft limit.
        return .raise(to: hard == UInt64(rlim_t.max) ? needed : hard)
    }

    /// Raises the soft limit if needed; throws naming the keys when it cannot be enough.
    func ensure() throws(ConfigurationError) {
        var limits = rlimit()
        guard getrlimit(Self.resource, &limits) == 0 else { return }
        switch decide(soft: UInt64(limits.rlim_cur), hard: UInt64(limits.rlim_max)) {
        case .enough:
            return
        case .raise(let value):
            limits.rlim_cur = rlim_t(value)
            guard setrlimit(Self.resource, &limits) == 0 else {
                throw error(needed: needed, available: UInt64(limits.rlim_max))
            }
        case .insufficient(let needed, let hard):
            throw error(needed: needed, available: hard)
        }
    }

    private func error(needed: UInt64, available: UInt64) -> ConfigurationError {
        ConfigurationError(
            key: "server.maxConnections",
            "\(listeners) TLS listener(s) (server.listen, server.adminListen) × server.maxConnections \(maxConnections) "
                + "+ \(Self.reserve) reserved need \(needed) file descriptors, but RLIMIT_NOFILE allows \(available): "
                + "lower server.maxConnections or raise the limit (ulimit -n)")
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}

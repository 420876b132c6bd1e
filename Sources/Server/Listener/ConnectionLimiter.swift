import NIOCore
import Synchronization

/// Counts open connections against `server.maxConnections` and, per client address (IPv6 by
/// /64, what one host usually holds), against `server.maxConnectionsPerAddress`: one host must
/// not take every slot. Shared by every event loop; the per-address table is small and locked
/// only at accept and close.
final class ConnectionLimiter: Sendable {
    let limit: Int
    let perAddressLimit: Int
    private let open = Atomic<Int>(0)
    private let perAddress = Mutex<[AddressGroup: Int]>([:])

    init(limit: Int, perAddressLimit: Int) {
        self.limit = limit
        self.perAddressLimit = perAddressLimit
    }

    var openConnections: Int { open.load(ordering: .relaxed) }

    /// Takes a slot for a connection from `group`, or returns false when the listener's `limit`
    /// or the group's `perAddressLimit` is reached.
    func tryAcquire(_ group: AddressGroup) -> Bool {
        let (previous, _) = open.add(1, ordering: .relaxed)
        guard previous < limit else {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        let admitted = perAddress.withLock { counts in
            let count = counts[group, default: 0]
            guard count < perAddressLimit else { return false }
            counts[group] = count + 1
            return true
        }
        if !admitted { open.subtract(1, ordering: .relaxed) }
        return admitted
    }

    func release(_ group: AddressGroup) {
        perAddress.withLock { counts in
            let count = counts[group, default: 1] - 1
            counts[group] = count > 0 ? count : nil
        }
        open.subtract(1, ordering: .relaxed)
    }
}

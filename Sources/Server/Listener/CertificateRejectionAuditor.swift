import Foundation
import ServiceLifecycle
import Synchronization

/// The audit side of handshakes refused for their client certificate. The event loop only
/// counts (`record`, a lock and a dictionary update); the aggregated events are written off the
/// loop by `run()` once their minute is over, or at once by `flush()` — which the audit API calls
/// before it answers, so a reader always sees every refusal so far — and at shutdown.
final class CertificateRejectionAuditor: Service, Sendable {
    /// Writes one aggregated event; runs off the event loop.
    typealias Writer = @Sendable (CertificateRejectionAggregator.Bucket) async -> Void

    private let state: Mutex<CertificateRejectionAggregator>
    private let write: Writer
    private let onDropped: @Sendable (Int) -> Void

    init(maximumBuckets: Int = 1_024, write: @escaping Writer, onDropped: @escaping @Sendable (Int) -> Void = { _ in }) {
        state = Mutex(CertificateRejectionAggregator(maximumBuckets: maximumBuckets))
        self.write = write
        self.onDropped = onDropped
    }

    static func minute(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 60).rounded(.down))
    }

    /// Called on the event loop for every refused handshake.
    func record(address: String, reason: String, at date: Date = Date()) {
        let minute = Self.minute(of: date)
        _ = state.withLock { $0.record(address: address, reason: reason, minute: minute, at: date) }
    }

    /// Writes the buckets of complete minutes, or all of them.
    func flush(all: Bool = true, now: Date = Date()) async {
        // Buckets leave the aggregator under the lock: concurrent flushes never write one twice.
        let limit: Int64? = all ? nil : Self.minute(of: now)
        let (buckets, dropped) = state.withLock { ($0.take(before: limit), $0.takeDropped()) }
        if dropped > 0 { onDropped(dropped) }
        for bucket in buckets { await write(bucket) }
    }

    /// Writes each minute's buckets once the minute is over; everything at shutdown.
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    let next = Double(Self.minute(of: Date()) + 1) * 60 - Date().timeIntervalSince1970
                    try await Task.sleep(for: .seconds(max(0.1, next + 0.05)))
                    await self.flush(all: false)
                }
            }
        } catch is CancellationError {
            // Shutdown: flushed below.
        }
        await flush(all: true)
    }
}

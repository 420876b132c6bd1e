import Foundation
import ServiceLifecycle
import Synchronization

/// The audit side of handshakes refused for their client certificate. The event loop only
/// counts (`record`, a lock and a dictionary update); the aggregated events are written off the
/// loop by `run()` once their minute is over, and at shutdown: one row per address and minute.
/// The audit API does not write them early (a poller would split a minute into many rows); it
/// shows the buckets not written yet from `pending()`.
final class CertificateRejectionAuditor: Service, Sendable {
    /// Writes one aggregated event; runs off the event loop.
    typealias Writer = @Sendable (CertificateRejectionAggregator.Bucket) async -> Void

    private struct State {
        var aggregator: CertificateRejectionAggregator
        /// Taken from the aggregator, not yet known to be written: still shown as pending.
        var writing: [CertificateRejectionAggregator.Bucket] = []
    }

    private let state: Mutex<State>
    private let write: Writer
    private let onDropped: @Sendable (Int) -> Void

    init(maximumBuckets: Int = 1_024, write: @escaping Writer, onDropped: @escaping @Sendable (Int) -> Void = { _ in }) {
        state = Mutex(State(aggregator: CertificateRejectionAggregator(maximumBuckets: maximumBuckets)))
        self.write = write
        self.onDropped = onDropped
    }

    static func minute(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 60).rounded(.down))
    }

    /// Called on the event loop for every refused handshake.
    func record(address: String, reason: String, at date: Date = Date()) {
        let minute = Self.minute(of: date)
        _ = state.withLock { $0.aggregator.record(address: address, reason: reason, minute: minute, at: date) }
    }

    /// The buckets not written yet: those still counting, then those being written (`writing`,
    /// which may already be committed: a reader that also read the log drops the ones it found).
    func pending() -> (counting: [CertificateRejectionAggregator.Bucket], writing: [CertificateRejectionAggregator.Bucket]) {
        state.withLock { ($0.aggregator.buckets, $0.writing) }
    }

    /// Writes the buckets of complete minutes, or all of them.
    func flush(all: Bool = true, now: Date = Date()) async {
        // Buckets leave the aggregator under the lock: concurrent flushes never write one twice.
        let limit: Int64? = all ? nil : Self.minute(of: now)
        let (buckets, dropped) = state.withLock { state in
            let taken = state.aggregator.take(before: limit)
            state.writing += taken
            return (taken, state.aggregator.takeDropped())
        }
        if dropped > 0 { onDropped(dropped) }
        for bucket in buckets {
            await write(bucket)
            state.withLock { state in
                if let index = state.writing.firstIndex(of: bucket) { state.writing.remove(at: index) }
            }
        }
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

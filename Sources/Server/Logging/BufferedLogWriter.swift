import Foundation
import Synchronization

/// Writes log lines from a thread of its own, in batches: the event loops only append a record to a
/// bounded queue (`LogLineQueue`), so a request never waits for formatting or for a `write(2)`.
/// When the writer falls behind and the queue is full, lines are dropped and counted, and the
/// count is written with the next batch. Warnings and errors skip the queue (`writeNow`).
public final class BufferedLogWriter: Sendable {
    public let format: LogLineFormat
    private let fileDescriptor: Int32
    private let queue: Mutex<LogLineQueue<LogRecord>>
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Held while a batch is formatted and written, so `flush` and the thread never interleave.
    private let writing = Mutex(())
    private let stopping = Mutex(false)
    private let stopped = DispatchSemaphore(value: 0)
    /// How long the writer waits after its wake-up before taking the queue. Only the line that
    /// finds the queue empty wakes the writer (a futex call, and a context switch on a busy
    /// machine); waiting a little lets the lines of the next milliseconds join that batch, so a
    /// busy server pays one wake-up and one `write(2)` per batch, not per request.
    private let linger: Duration

    /// Starts the writer thread. `capacity` bounds the lines waiting (about 200 bytes each).
    public init(format: LogLineFormat, fileDescriptor: Int32 = STDERR_FILENO, capacity: Int = 65_536,
                linger: Duration = .milliseconds(5)) {
        self.format = format
        self.fileDescriptor = fileDescriptor
        self.linger = linger
        queue = Mutex(LogLineQueue(capacity: capacity))
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Lines dropped because the queue was full, since start.
    public var droppedCount: Int { queue.withLock { $0.droppedTotal } }

    /// Never blocks beyond the queue's lock.
    func submit(_ record: LogRecord) {
        let wasEmpty = queue.withLock { $0.offer(record) }
        if wasEmpty == true { wakeUp.signal() }
    }

    /// Writes `record` now, after everything queued, on the caller's thread, and never drops it:
    /// for warnings and errors, which are rare, must not be lost, and must be in the log when the
    /// call returns (as with a plain stderr handler).
    func writeNow(_ record: LogRecord) {
        writing.withLock { _ in writeBatch(appending: record) }
    }

    /// Writes everything queued before returning (at shutdown, before a message printed directly).
    public func flush() {
        writing.withLock { _ in writeBatch() }
    }

    /// Flushes and ends the thread.
    public func stop() {
        stopping.withLock { $0 = true }
        wakeUp.signal()
        stopped.wait()
        flush()
    }

    private func run() {
        // Named from inside: Foundation names only the current thread on Linux (15 bytes at most).
        Thread.current.name = "cw-log-writer"
        while true {
            wakeUp.wait()
            if linger > .zero, !stopping.withLock({ $0 }) {
                let (seconds, attoseconds) = linger.components
                var wait = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
                nanosleep(&wait, nil)
            }
            writing.withLock { _ in writeBatch() }
            if stopping.withLock({ $0 }) { break }
        }
        stopped.signal()
    }

    /// Call with `writing` held.
    private func writeBatch(appending extra: LogRecord? = nil) {
        var (records, dropped) = queue.withLock { $0.takeAll() }
        if let extra { records.append(extra) }
        guard !records.isEmpty || dropped > 0 else { return }
        var bytes = format.render(records)
        if dropped > 0 {
            bytes += format.render([LogRecord(
                time: Date(), level: .warning, label: "chartwarden", message: "log lines dropped: the writer fell behind",
                metadata: ["dropped": .stringConvertible(dropped)], source: "Server")])
        }
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return // The log is gone (closed stderr): nothing better to do with the lines.
                }
                offset += written
            }
        }
    }
}

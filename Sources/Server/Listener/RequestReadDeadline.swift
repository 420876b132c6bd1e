import NIOCore

/// When a connection must be closed for reading too slowly, as a pure value: events in (with the
/// time they happened), the next deadline out. `RequestTimeoutHandler` does the I/O.
///
/// - A request's head and body must be complete within `timeout` of its first byte. Bytes that
///   trickle in do not extend it: the clock starts at the first byte, not the last.
/// - A connection with no request in flight or being read, and no output moving, is closed
///   `timeout` after it last did something (connected, finished a response, wrote, drained).
/// - While a request is being answered there is no deadline for the connection as a whole (a
///   slow handler is not a slow client) unless its output is blocked: a peer that does not read
///   what it asked for is closed `timeout` after it last drained anything. A pipelined next
///   request starts its own clock with its first byte. Only a drain counts as progress then: the
///   channel filling up again, or writes queued behind it, do not.
/// - Once our side closed its output (a `Connection: close` response), the connection is closed
///   `timeout` later whatever else it does: requests pipelined after that one are never answered,
///   so none of the other clocks can be trusted to run.
struct RequestReadDeadline: Sendable, Equatable {
    enum TimerAction: Equatable, Sendable {
        case close
        /// Check again at this time.
        case wait(until: NIODeadline)
        /// No deadline applies now (a request is being answered).
        case none
    }

    let timeout: TimeAmount
    /// First byte of the request being read, if one is being read.
    private(set) var readingSince: NIODeadline?
    /// Last activity while idle: the connection opening, a response finishing, output moving.
    private(set) var idleSince: NIODeadline
    /// Monotonic counts; a response may finish before its request's body was read (an early 4xx).
    private var requestsReceived = 0
    private var responsesSent = 0
    /// The channel is not writable: the peer is not reading what it was sent.
    private(set) var outputBlocked = false
    /// When our side closed its output, if it did.
    private(set) var outputClosedSince: NIODeadline?

    init(timeout: TimeAmount, now: NIODeadline) {
        self.timeout = timeout
        idleSince = now
    }

    var requestsInFlight: Int { max(0, requestsReceived - responsesSent) }

    mutating func bytesReceived(at now: NIODeadline) {
        if readingSince == nil { readingSince = now }
    }

    /// A request's head and body were read in full.
    mutating func requestReceived(at now: NIODeadline) {
        readingSince = nil
        requestsReceived += 1
    }

    mutating func responseSent(at now: NIODeadline) {
        responsesSent += 1
        idleSince = now
    }

    /// Output moved (a write). Not while output is blocked: that write only queues behind what
    /// the peer is not reading.
    mutating func outputProgressed(at now: NIODeadline) {
        if !outputBlocked { idleSince = now }
    }

    /// The channel's writability changed. Only a drain is progress: the peer read something.
    mutating func writabilityChanged(isWritable: Bool, at now: NIODeadline) {
        outputBlocked = !isWritable
        if isWritable { idleSince = now }
    }

    /// Our side closed its output (or the whole connection): the last deadline is armed.
    mutating func outputClosed(at now: NIODeadline) {
        if outputClosedSince == nil { outputClosedSince = now }
    }

    /// The earliest time at which the connection may have to be closed, if any.
    var deadline: NIODeadline? {
        // The idle deadline does not cut a request being read short: that has its own clock.
        let idle = (requestsInFlight == 0 && readingSince == nil) || outputBlocked ? idleSince + timeout : nil
        let candidates = [idle, readingSince.map { $0 + timeout }, outputClosedSince.map { $0 + timeout }]
        return candidates.compactMap { $0 }.min()
    }

    func timerFired(at now: NIODeadline) -> TimerAction {
        guard let deadline else { return .none }
        return now >= deadline ? .close : .wait(until: deadline)
    }
}

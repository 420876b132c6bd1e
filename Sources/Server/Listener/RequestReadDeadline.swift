import NIOCore

/// When a connection must be closed for reading too slowly, as a pure value: events in (with the
/// time they happened), the next deadline out. `RequestTimeoutHandler` does the I/O.
///
/// - A request's head and body must be complete within `timeout` of its first byte. Bytes that
///   trickle in do not extend it: the clock starts at the first byte, not the last.
/// - A connection with no request in flight and no output moving is closed `timeout` after it
///   last did something (connected, finished a response, wrote, drained).
/// - While a request is being answered there is no deadline for the connection as a whole (a
///   slow handler is not a slow client) unless its output is blocked: a peer that does not read
///   what it asked for is closed `timeout` after it last drained anything. A pipelined next
///   request starts its own clock with its first byte.
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

    /// Output moved (a write, or the peer drained what was queued).
    mutating func outputProgressed(at now: NIODeadline) {
        idleSince = now
    }

    /// The channel's writability changed: output drained, or filled up. Either is progress.
    mutating func writabilityChanged(isWritable: Bool, at now: NIODeadline) {
        outputBlocked = !isWritable
        idleSince = now
    }

    /// The earliest time at which the connection may have to be closed, if any.
    var deadline: NIODeadline? {
        let idle = requestsInFlight == 0 || outputBlocked ? idleSince + timeout : nil
        let reading = readingSince.map { $0 + timeout }
        switch (idle, reading) {
        case (let idle?, let reading?): return min(idle, reading)
        case (let idle?, nil): return idle
        case (nil, let reading?): return reading
        case (nil, nil): return nil
        }
    }

    func timerFired(at now: NIODeadline) -> TimerAction {
        guard let deadline else { return .none }
        return now >= deadline ? .close : .wait(until: deadline)
    }
}

/// How long the change listener waits before connecting again: doubling from `initial` up to
/// `maximum`, back to `initial` once a connection listened. Pure.
package struct ReconnectBackoff: Sendable, Equatable {
    package let initial: Duration
    package let maximum: Duration
    private var next: Duration

    package init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        next = initial
    }

    /// The wait before the next attempt; each failure doubles the one after.
    package mutating func failed() -> Duration {
        let wait = next
        next = min(next * 2, maximum)
        return wait
    }

    package mutating func connected() {
        next = initial
    }
}

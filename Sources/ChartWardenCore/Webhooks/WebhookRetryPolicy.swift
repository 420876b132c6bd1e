import Foundation

/// When a failed delivery is tried again (README, "Webhooks"): exponential backoff from
/// `initialInterval`, doubling per attempt up to `maxInterval`, each wait jittered to between
/// half and all of it so receivers coming back are not hit by every replica at once, and no
/// attempt later than `maxRetry` after the event. Pure: the jitter and the clock are inputs.
package struct WebhookRetryPolicy: Sendable, Equatable {
    package var initialInterval: TimeInterval = 1
    package var maxInterval: TimeInterval
    package var maxRetry: TimeInterval

    package init(initialInterval: TimeInterval = 1, maxInterval: TimeInterval, maxRetry: TimeInterval) {
        self.initialInterval = initialInterval
        self.maxInterval = max(initialInterval, maxInterval)
        self.maxRetry = maxRetry
    }

    package init(_ webhook: Webhook) {
        self.init(maxInterval: TimeInterval(webhook.maxIntervalSeconds), maxRetry: TimeInterval(webhook.maxRetrySeconds))
    }

    /// What an attempt's answer decides.
    package enum Outcome: Sendable, Equatable {
        /// A 2xx answer.
        case accepted
        /// Any other answer, a timeout, a refused connection, a TLS failure.
        case failed
    }

    package enum Decision: Sendable, Equatable {
        /// The receiver has it: the delivery is done.
        case delivered
        /// Try again at this time.
        case retry(at: Date)
        /// The retry time after the event is over: the delivery is dropped.
        case abandon
    }

    /// The wait after failed attempt number `attempt` (1 for the first), before jitter.
    package func interval(afterAttempt attempt: Int) -> TimeInterval {
        let doublings = min(max(attempt - 1, 0), 40)
        return min(maxInterval, initialInterval * pow(2, Double(doublings)))
    }

    /// `jitter` in 0..<1 picks the wait between half and all of `interval`.
    package func decide(_ outcome: Outcome, attempt: Int, eventTime: Date, now: Date, jitter: Double) -> Decision {
        guard outcome == .failed else { return .delivered }
        let wait = interval(afterAttempt: attempt) * (0.5 + 0.5 * min(max(jitter, 0), 1))
        let deadline = eventTime.addingTimeInterval(maxRetry)
        let next = now.addingTimeInterval(wait)
        if next <= deadline { return .retry(at: next) }
        // One last attempt at the deadline itself, unless it has passed.
        return now < deadline ? .retry(at: deadline) : .abandon
    }

    /// The HTTP status classes: only 2xx means the receiver took the event.
    package static func outcome(status: Int?) -> Outcome {
        guard let status, (200..<300).contains(status) else { return .failed }
        return .accepted
    }
}

/// Whether the last readiness probe still answers: `/ready` is asked often (every load balancer
/// and kubelet), so one probe of the store serves every question for `freshFor`. Pure: the
/// clock is passed in.
package struct ReadinessMemory: Sendable {
    package let freshFor: Duration
    private var last: (at: ContinuousClock.Instant, verdict: StoreReadiness.Verdict)?

    package init(freshFor: Duration) {
        self.freshFor = freshFor
    }

    /// The remembered verdict while it is fresh; nil when a probe is due.
    package func verdict(now: ContinuousClock.Instant) -> StoreReadiness.Verdict? {
        guard let last, now >= last.at, now - last.at < freshFor else { return nil }
        return last.verdict
    }

    package mutating func remember(_ verdict: StoreReadiness.Verdict, at instant: ContinuousClock.Instant) {
        last = (instant, verdict)
    }
}

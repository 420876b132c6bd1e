/// Counts failed authentications per client address and per user name and says when a key has
/// failed too often. Pure state: the caller supplies the clock and does the I/O, so the rules
/// are tested alone.
///
/// Each key holds a failure count that drains by one every `refill`; a key at its limit is
/// refused (429) until one failure has drained. Refused attempts are not verified and do not
/// count, so a limited key recovers on schedule however hard it is hammered.
///
/// The per-user bucket refuses only the addresses that have themselves failed for that user
/// since the bucket was last empty. Otherwise a handful of addresses failing on purpose would
/// lock the real user out everywhere; this way the user still gets in from any address that
/// has not been failing, while guessing spread over many addresses stays bounded: once the user
/// bucket is full, each further address gets one failure for that user before it is refused too
/// (and never more than its own per-address limit).
public struct AuthFailureLimiter: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Failures from one address before it is refused.
        public var perAddress: Int
        /// Failures for one user name, from any address, before the addresses that failed for it
        /// are refused for it. Higher than the address limit.
        public var perUser: Int
        /// Time for one failure to be forgiven.
        public var refill: Duration

        public static let `default` = Configuration(perAddress: 10, perUser: 30, refill: .seconds(30))
    }

    enum Key: Hashable, Sendable {
        case address(String)
        case user(String)
    }

    private struct Bucket {
        var failures: Double
        var updated: ContinuousClock.Instant
        /// User buckets: the addresses that failed for this user since the bucket was empty.
        var failedFrom: Set<String> = []
    }

    /// Addresses remembered per user bucket; further ones are limited only by their own bucket.
    static let addressesPerUser = 1_024

    let configuration: Configuration
    /// Above this many tracked keys, drained ones are dropped (and the oldest if still too many).
    let capacity: Int
    private var buckets: [Key: Bucket] = [:]

    init(configuration: Configuration, capacity: Int = 50_000) {
        self.configuration = configuration
        self.capacity = capacity
    }

    var trackedKeys: Int { buckets.count }

    /// Whole seconds to wait before `address` (and `user`, when given) may try again; nil when
    /// the attempt may proceed.
    func retryAfter(address: String, user: String?, now: ContinuousClock.Instant) -> Int? {
        var wait: Double = 0
        wait = max(wait, secondsUntilAllowed(.address(address), limit: configuration.perAddress, now: now))
        if let user, buckets[.user(user)]?.failedFrom.contains(address) == true {
            wait = max(wait, secondsUntilAllowed(.user(user), limit: configuration.perUser, now: now))
        }
        return wait > 0 ? max(1, Int((wait - 1e-6).rounded(.up))) : nil
    }

    /// Records one failure. Returns the keys that reached their limit with this failure, so the
    /// caller can audit the moment a lockout begins (once, not for every refused attempt).
    @discardableResult
    mutating func recordFailure(address: String, user: String?, now: ContinuousClock.Instant) -> [Key] {
        var engaged: [Key] = []
        if add(.address(address), limit: configuration.perAddress, now: now) { engaged.append(.address(address)) }
        if let user, add(.user(user), limit: configuration.perUser, now: now, from: address) { engaged.append(.user(user)) }
        if buckets.count > capacity { prune(now: now) }
        return engaged
    }

    private var refillSeconds: Double {
        let components = configuration.refill.components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    private func drained(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = bucket.updated.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return max(0, bucket.failures - max(0, seconds) / refillSeconds)
    }

    private func secondsUntilAllowed(_ key: Key, limit: Int, now: ContinuousClock.Instant) -> Double {
        guard let bucket = buckets[key] else { return 0 }
        // Allowed while the count leaves room for one more failure below the limit.
        let excess = drained(bucket, now: now) - Double(limit - 1)
        return excess > 1e-9 ? excess * refillSeconds : 0
    }

    private mutating func add(_ key: Key, limit: Int, now: ContinuousClock.Instant, from address: String? = nil) -> Bool {
        let before = buckets[key].map { drained($0, now: now) } ?? 0
        let after = before + 1
        // A drained bucket forgets who failed: they start over like everyone else.
        var failedFrom = before > 1e-9 ? buckets[key]?.failedFrom ?? [] : []
        if let address, failedFrom.count < Self.addressesPerUser { failedFrom.insert(address) }
        buckets[key] = Bucket(failures: after, updated: now, failedFrom: failedFrom)
        // Engaged when this failure leaves no room below the limit (the test `secondsUntilAllowed` uses).
        let threshold = Double(limit - 1) + 1e-9
        return before <= threshold && after > threshold
    }

    private mutating func prune(now: ContinuousClock.Instant) {
        buckets = buckets.filter { drained($0.value, now: now) > 0 }
        if buckets.count > capacity {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(capacity / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

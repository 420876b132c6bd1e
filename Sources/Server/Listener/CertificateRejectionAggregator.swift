/// Folds handshakes refused for their client certificate into one audit event per address and
/// minute, as a pure value. A flood of bad handshakes costs a counter increment each, not a
/// database write each; the number of pending (address, minute) buckets is bounded, and
/// refusals that would open a bucket past the bound are dropped and counted.
struct CertificateRejectionAggregator: Sendable, Equatable {
    struct Bucket: Sendable, Equatable {
        let address: String
        /// Minutes since the epoch.
        let minute: Int64
        var count: Int
        /// Distinct OpenSSL reasons, at most `maximumReasons`.
        var reasons: [String]
    }

    enum Outcome: Equatable, Sendable {
        case counted
        case dropped
    }

    static let maximumReasons = 4
    static let maximumReasonLength = 300

    let maximumBuckets: Int
    /// In the order they were opened: older minutes first.
    private(set) var buckets: [Bucket] = []
    private var indexByKey: [String: Int] = [:]
    /// Refusals not recorded because the queue was full, since the last `takeDropped()`.
    private(set) var dropped = 0

    init(maximumBuckets: Int) {
        self.maximumBuckets = maximumBuckets
    }

    mutating func record(address: String, reason: String, minute: Int64) -> Outcome {
        let key = "\(minute) \(address)"
        if let index = indexByKey[key] {
            buckets[index].count += 1
            let reason = String(reason.prefix(Self.maximumReasonLength))
            if buckets[index].reasons.count < Self.maximumReasons, !buckets[index].reasons.contains(reason) {
                buckets[index].reasons.append(reason)
            }
            return .counted
        }
        guard buckets.count < maximumBuckets else {
            dropped += 1
            return .dropped
        }
        indexByKey[key] = buckets.count
        buckets.append(Bucket(address: address, minute: minute, count: 1,
                              reasons: [String(reason.prefix(Self.maximumReasonLength))]))
        return .counted
    }

    /// Removes and returns the buckets of minutes before `minute` (complete ones), or all of them.
    mutating func take(before minute: Int64? = nil) -> [Bucket] {
        let taken = minute.map { limit in buckets.filter { $0.minute < limit } } ?? buckets
        guard !taken.isEmpty else { return [] }
        buckets = minute.map { limit in buckets.filter { $0.minute >= limit } } ?? []
        indexByKey = [:]
        for (index, bucket) in buckets.enumerated() { indexByKey["\(bucket.minute) \(bucket.address)"] = index }
        return taken
    }

    mutating func takeDropped() -> Int {
        defer { dropped = 0 }
        return dropped
    }
}

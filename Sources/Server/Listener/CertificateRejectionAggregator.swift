import Foundation

/// Folds handshakes refused for their client certificate into one audit event per address (IPv6
/// by /64, `AddressGroup`) and minute, as a pure value. A flood of bad handshakes costs a counter
/// increment each, not a database write each; the number of pending (address, minute) buckets is
/// bounded, and refusals that would open a bucket past the bound go to the minute's one overflow
/// bucket (address `*`), counted as overflowed: still audited, no longer per address.
struct CertificateRejectionAggregator: Sendable, Equatable {
    struct Bucket: Sendable, Equatable {
        let address: String
        /// Minutes since the epoch.
        let minute: Int64
        var count: Int
        /// Distinct OpenSSL reasons, at most `maximumReasons`.
        var reasons: [String]
        /// The latest refusal: the event's time, so a reader polling with `since` sees it even
        /// when the bucket is written after the minute it started in.
        var last: Date?
    }

    /// The address of the overflow bucket.
    static let overflowAddress = "*"

    enum Outcome: Equatable, Sendable {
        case counted
        /// Counted in the overflow bucket: the bucket table was full.
        case overflowed
    }

    static let maximumReasons = 4
    static let maximumReasonLength = 300

    let maximumBuckets: Int
    /// In the order they were opened: older minutes first.
    private(set) var buckets: [Bucket] = []
    private var indexByKey: [String: Int] = [:]
    /// Refusals counted in an overflow bucket because the table was full, since the last
    /// `takeDropped()`.
    private(set) var dropped = 0
    /// Minutes before this one were taken (written): a refusal stamped with such a minute (it
    /// raced the take) counts in this minute, so no (address, minute) gets a second row.
    private(set) var closedBefore: Int64?

    init(maximumBuckets: Int) {
        self.maximumBuckets = maximumBuckets
    }

    mutating func record(address: String, reason: String, minute: Int64, at time: Date? = nil) -> Outcome {
        let minute = max(minute, closedBefore ?? minute)
        let reason = String(reason.prefix(Self.maximumReasonLength))
        if let index = indexByKey["\(minute) \(address)"] {
            count(reason, at: time, in: index)
            return .counted
        }
        guard buckets.count < maximumBuckets else {
            dropped += 1
            let key = "\(minute) \(Self.overflowAddress)"
            if let index = indexByKey[key] {
                count(reason, at: time, in: index)
            } else {
                // At most one per pending minute past the bound.
                indexByKey[key] = buckets.count
                buckets.append(Bucket(address: Self.overflowAddress, minute: minute, count: 1, reasons: [reason], last: time))
            }
            return .overflowed
        }
        indexByKey["\(minute) \(address)"] = buckets.count
        buckets.append(Bucket(address: address, minute: minute, count: 1, reasons: [reason], last: time))
        return .counted
    }

    private mutating func count(_ reason: String, at time: Date?, in index: Int) {
        buckets[index].count += 1
        if let time { buckets[index].last = max(buckets[index].last ?? time, time) }
        if buckets[index].reasons.count < Self.maximumReasons, !buckets[index].reasons.contains(reason) {
            buckets[index].reasons.append(reason)
        }
    }

    /// Removes and returns the buckets of minutes before `minute` (complete ones), or all of them.
    mutating func take(before minute: Int64? = nil) -> [Bucket] {
        if let minute { closedBefore = max(closedBefore ?? minute, minute) }
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

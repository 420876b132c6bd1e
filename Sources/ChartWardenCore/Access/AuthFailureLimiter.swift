#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts failed authentications per client address and per user name and says when a key has
/// failed too often. Pure state: the caller supplies the clock and does the I/O, so the rules
/// are tested alone.
///
/// Each key holds a failure count that drains by one every `refill`, capped at its limit; a key
/// at its limit is refused (429) until one failure has drained. Refused attempts are not
/// verified and do not count, so a limited key recovers on schedule however hard it is hammered.
/// IPv6 addresses count per /64: one host usually holds a whole /64.
///
/// The per-user bucket, once full, refuses the addresses that have failed for that user since
/// the bucket was last empty (each further address gets one failure first), so guessing spread
/// over many addresses stays bounded. Addresses that recently logged in as that user pass the
/// per-user limit (their own address bucket still applies): attackers keeping the bucket full
/// cannot lock the real user out of where they work, even after a typo there. Past
/// `addressesPerUser` failing addresses the user bucket fails closed: every address that has not
/// logged in as the user is refused while it is full.
public struct AuthFailureLimiter: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Failures from one address before it is refused.
        public var perAddress: Int
        /// Failures for one user name, from any address, before the addresses that failed for it
        /// are refused for it. Higher than the address limit.
        public var perUser: Int
        /// Time for one failure to be forgiven.
        public var refill: Duration
        /// Entries tracked at most (keys, plus the addresses remembered per user): what memory
        /// grows with, whatever clients send. Past it, the least telling entries are evicted.
        public var maxTracked: Int = 50_000

        public static let `default` = Configuration(perAddress: 10, perUser: 30, refill: .seconds(30))
    }

    package enum Key: Hashable, Sendable {
        case address(String)
        case user(String)
    }

    private struct Bucket {
        var failures: Double
        var updated: ContinuousClock.Instant
        /// User buckets: the addresses that failed for this user since the bucket was empty.
        var failedFrom: Set<String> = []
        /// More addresses failed than `failedFrom` holds: refuse every address not known good.
        var overflowed = false
    }

    /// Failing addresses remembered per user bucket; past this the bucket fails closed.
    package static let addressesPerUser = 1_024
    /// Addresses remembered per user as having logged in successfully, and for how long.
    package static let successesPerUser = 16
    package static let successMemory: Duration = .seconds(7 * 24 * 3_600)

    package let configuration: Configuration
    /// Above this many tracked entries (keys, plus the addresses remembered per user), drained
    /// ones are dropped, then the least telling live ones (`prune`).
    package let capacity: Int
    /// Live buckets evicted for room since the last `takeEvictions()` (drained ones not counted).
    private var evictions = 0
    private var buckets: [Key: Bucket] = [:]
    /// Per user: address group → time of its last successful login as that user.
    private var successes: [String: [String: ContinuousClock.Instant]] = [:]

    package init(configuration: Configuration, capacity: Int? = nil) {
        self.configuration = configuration
        self.capacity = capacity ?? configuration.maxTracked
    }

    /// Live buckets evicted since the last call (for the metric).
    package mutating func takeEvictions() -> Int {
        defer { evictions = 0 }
        return evictions
    }

    /// Addresses remembered inside user buckets and success sets, kept up to date as they change.
    private var rememberedAddresses = 0

    /// Keys plus the addresses remembered per user: what memory grows with.
    package var trackedKeys: Int { buckets.count + rememberedAddresses }

    /// Whole seconds to wait before `address` (and `user`, when given) may try again; nil when
    /// the attempt may proceed.
    package func retryAfter(address: String, user: String?, now: ContinuousClock.Instant) -> Int? {
        let address = Self.group(address)
        var wait: Double = 0
        wait = max(wait, secondsUntilAllowed(.address(address), limit: configuration.perAddress, now: now))
        if let user, let bucket = buckets[.user(user)], !loggedIn(user, from: address, now: now),
           bucket.overflowed || bucket.failedFrom.contains(address) {
            wait = max(wait, secondsUntilAllowed(.user(user), limit: configuration.perUser, now: now))
        }
        return wait > 0 ? max(1, Int((wait - 1e-6).rounded(.up))) : nil
    }

    /// Records one failure. Returns the keys that reached their limit with this failure, so the
    /// caller can audit the moment a lockout begins (once, not for every refused attempt).
    @discardableResult
    package mutating func recordFailure(address: String, user: String?, now: ContinuousClock.Instant) -> [Key] {
        let address = Self.group(address)
        var engaged: [Key] = []
        if add(.address(address), limit: configuration.perAddress, now: now) { engaged.append(.address(address)) }
        if let user, add(.user(user), limit: configuration.perUser, now: now, from: address) { engaged.append(.user(user)) }
        if trackedKeys > capacity { prune(now: now) }
        return engaged
    }

    /// Remembers that `address` logged in as `user`, so a full user bucket does not refuse it.
    package mutating func recordSuccess(address: String, user: String, now: ContinuousClock.Instant) {
        let previous = successes[user] ?? [:]
        var known = previous.filter { $0.value.duration(to: now) < Self.successMemory }
        known[Self.group(address)] = now
        if known.count > Self.successesPerUser, let oldest = known.min(by: { $0.value < $1.value })?.key {
            known[oldest] = nil
        }
        successes[user] = known
        rememberedAddresses += known.count - previous.count
        if trackedKeys > capacity { prune(now: now) }
    }

    /// The key an address counts under: an IPv6 address's /64, anything else as given.
    package static func group(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = in6_addr()
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        let octets = withUnsafeBytes(of: bytes) { Array($0) }
        // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address.
        if octets[0..<10].allSatisfy({ $0 == 0 }), octets[10] == 0xff, octets[11] == 0xff {
            return octets[12..<16].map(String.init).joined(separator: ".")
        }
        let hextets = stride(from: 0, to: 8, by: 2).map { String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16) }
        return hextets.joined(separator: ":") + "::/64"
    }

    private func loggedIn(_ user: String, from address: String, now: ContinuousClock.Instant) -> Bool {
        guard let at = successes[user]?[address] else { return false }
        return at.duration(to: now) < Self.successMemory
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
        // Capped: failures let through past the limit (new addresses) do not lengthen the lockout.
        let after = min(before + 1, Double(limit))
        // A drained bucket forgets who failed: they start over like everyone else.
        var bucket = Bucket(failures: 0, updated: now)
        if let existing = buckets[key] {
            if before > 1e-9 { bucket = existing } else { rememberedAddresses -= existing.failedFrom.count }
        }
        bucket.failures = after
        bucket.updated = now
        if let address, !bucket.failedFrom.contains(address) {
            if bucket.failedFrom.count < Self.addressesPerUser {
                bucket.failedFrom.insert(address)
                rememberedAddresses += 1
            } else {
                bucket.overflowed = true
            }
        }
        buckets[key] = bucket
        // Engaged when this failure leaves no room below the limit (the test `secondsUntilAllowed` uses).
        let threshold = Double(limit - 1) + 1e-9
        return before <= threshold && after > threshold
    }

    /// Makes room. Drained buckets and stale successes go first. If that is not enough, each
    /// kind of key keeps at most a quarter of the capacity (half in all, so this runs once per
    /// capacity/2 new entries), fullest first, then most recently failed: what a flood of fresh
    /// keys evicts is the other fresh keys, never a bucket nearer its limit. Addresses and users
    /// have separate shares, so locking many addresses cannot push a guessed user out; to evict
    /// a user bucket at its limit an attacker must bring a quarter of the capacity of other user
    /// buckets to their limits too (at defaults 12,500 × 30 failures, each a password hash under
    /// the address limits). A user bucket kept without room for its failing addresses forgets
    /// them and fails closed (refuses every address not known good), as past `addressesPerUser`.
    private mutating func prune(now: ContinuousClock.Instant) {
        buckets = buckets.filter { drained($0.value, now: now) > 0 }
        successes = successes.compactMapValues { known in
            let fresh = known.filter { $0.value.duration(to: now) < Self.successMemory }
            return fresh.isEmpty ? nil : fresh
        }
        let succeeded = successes.values.reduce(0) { $0 + $1.count }
        rememberedAddresses = succeeded + buckets.values.reduce(0) { $0 + $1.failedFrom.count }
        guard trackedKeys > capacity else { return }
        var kept: [Key: Bucket] = [:]
        let ranked = buckets.map { (key: $0.key, bucket: $0.value, fill: fill($0.key, $0.value, now: now)) }
            .sorted { ($0.fill, $0.bucket.updated) > ($1.fill, $1.bucket.updated) }
        var addressBudget = capacity / 4
        var userBudget = max(0, capacity / 4 - succeeded)
        for (key, bucket, _) in ranked {
            var bucket = bucket
            switch key {
            case .address:
                guard addressBudget >= 1 else { evictions += 1; continue }
                addressBudget -= 1
            case .user:
                if 1 + bucket.failedFrom.count > userBudget {
                    bucket.failedFrom = []
                    bucket.overflowed = true
                }
                guard userBudget >= 1 else { evictions += 1; continue }
                userBudget -= 1 + bucket.failedFrom.count
            }
            kept[key] = bucket
        }
        buckets = kept
        rememberedAddresses = succeeded + kept.values.reduce(0) { $0 + $1.failedFrom.count }
    }

    /// How near its limit a bucket is, from 0 (drained) to 1 (refusing).
    private func fill(_ key: Key, _ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let limit = switch key {
        case .address: configuration.perAddress
        case .user: configuration.perUser
        }
        return min(1, drained(bucket, now: now) / Double(limit))
    }
}

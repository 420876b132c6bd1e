import Foundation

/// Which workload logins were audited recently: a CI job sends its token on every request and
/// may fetch a fresh one per step, and one audit row per workload (issuer, subject, principal)
/// per `window` — not per token, not per request — is what the log needs. Bounded: past
/// `capacity` the oldest login is forgotten (its next use is audited again), never the whole
/// memory at once, so a flood of new identities costs one row each and no re-audit of the rest.
struct OIDCLoginMemory: Sendable {
    struct Login: Hashable, Sendable {
        let issuer: String
        let subject: String
        let principal: String
    }

    static let capacity = 10_000
    /// How long a login is remembered: a job running longer is audited again, once per window.
    static let window: TimeInterval = 3_600

    /// Login → when it was audited and its place in `order`.
    private var seen: [Login: (at: Date, sequence: Int)] = [:]
    /// Logins oldest first, from `head`; entries whose sequence no longer matches `seen` are stale.
    private var order: [(login: Login, sequence: Int)] = []
    private var head = 0
    private var sequence = 0

    /// True when `login` should be audited: unseen, or last audited more than `window` ago.
    mutating func firstUse(of login: Login, now: Date) -> Bool {
        if let previous = seen[login], now.timeIntervalSince(previous.at) < Self.window { return false }
        while seen.count >= Self.capacity, head < order.count {
            let oldest = order[head]
            head += 1
            if seen[oldest.login]?.sequence == oldest.sequence { seen[oldest.login] = nil }
        }
        sequence += 1
        seen[login] = (now, sequence)
        order.append((login, sequence))
        if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        // Re-audited logins leave stale entries behind; below capacity `head` never moves, so
        // drop them once they outnumber the live ones (webhooks review F14).
        if order.count - head > 2 * seen.count + 64 {
            order = order[head...].filter { seen[$0.login]?.sequence == $0.sequence }
            head = 0
        }
        return true
    }

    /// Forgets `login`, so its next use is audited again (its audit write failed).
    mutating func forget(_ login: Login) {
        seen[login] = nil
    }

    var count: Int { seen.count }
    /// Entries held in the order queue, stale ones included (tests bound it).
    var queued: Int { order.count - head }
}

import Testing
@testable import ChartWardenCore

@Suite("Authentication failure limiter")
struct AuthFailureLimiterTests {
    let start = ContinuousClock.now
    let configuration = AuthFailureLimiter.Configuration(perAddress: 3, perUser: 5, refill: .seconds(10))

    @Test func anAddressIsRefusedAfterItsBurstAndRecoversOnSchedule() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        for attempt in 0..<3 {
            #expect(limiter.retryAfter(address: "10.0.0.1", user: "mallory", now: start) == nil, "attempt \(attempt)")
            limiter.recordFailure(address: "10.0.0.1", user: "mallory", now: start)
        }
        #expect(limiter.retryAfter(address: "10.0.0.1", user: "mallory", now: start) == 10)
        // Another user from the same address is refused too: the address is limited.
        #expect(limiter.retryAfter(address: "10.0.0.1", user: "alice", now: start) != nil)
        // Another address, even for the same user name, is not (the user limit is higher).
        #expect(limiter.retryAfter(address: "10.0.0.2", user: "mallory", now: start) == nil)
        #expect(limiter.retryAfter(address: "10.0.0.1", user: nil, now: start + .seconds(4)) == 6)
        // One failure is forgiven per refill period.
        #expect(limiter.retryAfter(address: "10.0.0.1", user: nil, now: start + .seconds(10)) == nil)
    }

    @Test func aUserNameIsRefusedToTheAddressesThatFailedForIt() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        for index in 0..<5 {
            limiter.recordFailure(address: "10.0.1.\(index)", user: "alice", now: start)
        }
        for index in 0..<5 {
            #expect(limiter.retryAfter(address: "10.0.1.\(index)", user: "alice", now: start) == 10)
            #expect(limiter.retryAfter(address: "10.0.1.\(index)", user: "bob", now: start) == nil)
        }
    }

    /// Attackers failing on purpose from a few addresses exhaust the user bucket; the real user
    /// from an address that has not been failing still gets in.
    @Test func failuresFromOtherAddressesDoNotLockTheUserOut() {
        var limiter = AuthFailureLimiter(configuration: AuthFailureLimiter.Configuration.default)
        for index in 0..<5 {
            for _ in 0..<6 {
                #expect(limiter.retryAfter(address: "203.0.113.\(index)", user: "alice", now: start) == nil)
                limiter.recordFailure(address: "203.0.113.\(index)", user: "alice", now: start)
            }
        }
        #expect(limiter.retryAfter(address: "203.0.113.0", user: "alice", now: start) != nil)
        #expect(limiter.retryAfter(address: "198.51.100.7", user: "alice", now: start) == nil)
    }

    /// Guessing spread over many addresses stays bounded: while the user bucket is full, a new
    /// address gets one failure for that user, then it is refused too.
    @Test func distributedGuessingGetsOneFailurePerNewAddress() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        for index in 0..<5 {
            limiter.recordFailure(address: "10.0.1.\(index)", user: "alice", now: start)
        }
        #expect(limiter.retryAfter(address: "10.0.2.1", user: "alice", now: start) == nil)
        limiter.recordFailure(address: "10.0.2.1", user: "alice", now: start)
        #expect(limiter.retryAfter(address: "10.0.2.1", user: "alice", now: start) != nil)
        // Once the bucket has drained completely, who failed is forgotten.
        #expect(limiter.retryAfter(address: "10.0.2.1", user: "alice", now: start + .seconds(60)) == nil)
    }

    @Test func theFailureThatEngagesALimitIsReportedOnce() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        #expect(limiter.recordFailure(address: "a", user: "u", now: start).isEmpty)
        #expect(limiter.recordFailure(address: "a", user: "u", now: start).isEmpty)
        #expect(limiter.recordFailure(address: "a", user: "u", now: start) == [.address("a")])
        #expect(limiter.recordFailure(address: "a", user: "u", now: start).isEmpty)
        #expect(limiter.recordFailure(address: "a", user: "u", now: start) == [.user("u")])
    }

    @Test func engagementIsReportedWhileEarlierFailuresDrain() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        limiter.recordFailure(address: "a", user: nil, now: start)
        limiter.recordFailure(address: "a", user: nil, now: start + .milliseconds(100))
        #expect(limiter.recordFailure(address: "a", user: nil, now: start + .milliseconds(200)) == [.address("a")])
        #expect(limiter.retryAfter(address: "a", user: nil, now: start + .milliseconds(200)) != nil)
    }

    @Test func trackingIsBounded() {
        var limiter = AuthFailureLimiter(configuration: configuration, capacity: 100)
        for index in 0..<1_000 {
            limiter.recordFailure(address: "10.1.\(index / 256).\(index % 256)", user: "user\(index)",
                                  now: start + .milliseconds(index))
        }
        #expect(limiter.trackedKeys <= 100)
        // The newest offenders are still tracked.
        limiter.recordFailure(address: "10.1.3.231", user: nil, now: start + .seconds(1))
        limiter.recordFailure(address: "10.1.3.231", user: nil, now: start + .seconds(1))
        #expect(limiter.retryAfter(address: "10.1.3.231", user: nil, now: start + .seconds(1)) != nil)
    }

    /// Past `addressesPerUser` failing addresses the user bucket fails closed: a bot net gets no
    /// fresh guesses per address, while an address that logged in as the user still passes.
    @Test func pastTheAddressCapEveryUnknownAddressIsRefused() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        limiter.recordSuccess(address: "192.0.2.1", user: "alice", now: start)
        for index in 0...AuthFailureLimiter.addressesPerUser {
            limiter.recordFailure(address: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)", user: "alice", now: start)
        }
        #expect(limiter.retryAfter(address: "10.200.0.1", user: "alice", now: start) != nil)
        #expect(limiter.retryAfter(address: "10.200.0.1", user: "bob", now: start) == nil)
        #expect(limiter.retryAfter(address: "192.0.2.1", user: "alice", now: start) == nil)
    }

    /// The real user mistyped once where they work, then attackers kept the user bucket full:
    /// the address they logged in from still gets through the per-user limit.
    @Test func anAddressThatLoggedInPassesAFullUserBucket() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        limiter.recordSuccess(address: "192.0.2.1", user: "alice", now: start)
        limiter.recordFailure(address: "192.0.2.1", user: "alice", now: start)
        for index in 0..<5 {
            limiter.recordFailure(address: "10.0.1.\(index)", user: "alice", now: start)
        }
        #expect(limiter.retryAfter(address: "10.0.1.0", user: "alice", now: start) != nil)
        #expect(limiter.retryAfter(address: "192.0.2.1", user: "alice", now: start) == nil)
        // Its own address bucket still applies.
        limiter.recordFailure(address: "192.0.2.1", user: "alice", now: start)
        limiter.recordFailure(address: "192.0.2.1", user: "alice", now: start)
        #expect(limiter.retryAfter(address: "192.0.2.1", user: "alice", now: start) != nil)
        // A success is remembered for a while, not forever.
        #expect(limiter.retryAfter(address: "192.0.2.1", user: "alice",
                                   now: start + AuthFailureLimiter.successMemory + .seconds(1)) == nil)
    }

    /// An IPv6 host owns its /64: every address in it shares one bucket.
    @Test func ipv6AddressesCountPerSlash64() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        for index in 1...3 {
            limiter.recordFailure(address: "2001:db8:1:2::\(index)", user: nil, now: start)
        }
        #expect(limiter.retryAfter(address: "2001:db8:1:2:ffff::9", user: nil, now: start) != nil)
        #expect(limiter.retryAfter(address: "2001:db8:1:3::1", user: nil, now: start) == nil)
        #expect(AuthFailureLimiter.group("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(AuthFailureLimiter.group("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(AuthFailureLimiter.group("192.0.2.7") == "192.0.2.7")
    }

    /// Failures let through past the limit (one per new address) do not lengthen the lockout.
    @Test func theUserBucketIsCappedAtItsLimit() {
        var limiter = AuthFailureLimiter(configuration: configuration)
        for index in 0..<50 {
            limiter.recordFailure(address: "10.0.9.\(index)", user: "alice", now: start)
        }
        #expect(limiter.retryAfter(address: "10.0.9.0", user: "alice", now: start) == 10)
    }

    /// The addresses remembered inside user buckets count toward the capacity.
    @Test func rememberedAddressesCountTowardTheCapacity() {
        var limiter = AuthFailureLimiter(configuration: configuration, capacity: 100)
        for index in 0..<1_000 {
            limiter.recordFailure(address: "10.2.\(index / 256).\(index % 256)", user: "alice",
                                  now: start + .milliseconds(index))
        }
        #expect(limiter.trackedKeys <= 100)
    }

    /// A guessing victim's full bucket, and the addresses it refuses.
    func guessed(_ limiter: inout AuthFailureLimiter, user: String = "alice") {
        for index in 1...configuration.perUser {
            limiter.recordFailure(address: "192.0.2.\(index)", user: user, now: start)
        }
        #expect(limiter.retryAfter(address: "192.0.2.1", user: user, now: start) != nil)
    }

    /// Flooding the table with fresh user names (one failure each, from fresh addresses) evicts
    /// the other fresh entries, never the victim's full bucket: its guessers stay refused.
    @Test func aFloodOfFreshUserNamesDoesNotResetAGuessedUser() {
        var limiter = AuthFailureLimiter(configuration: configuration, capacity: 100)
        guessed(&limiter)
        for index in 0..<20_000 {
            limiter.recordFailure(address: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)", user: "flood\(index)",
                                  now: start + .milliseconds(index / 10))
        }
        let later = start + .seconds(2)
        #expect(limiter.trackedKeys <= 100)
        #expect(limiter.takeEvictions() > 19_000)
        #expect(limiter.retryAfter(address: "192.0.2.1", user: "alice", now: later) != nil)
        // A fresh address gets its one failure, then is refused too (the bucket is still full).
        limiter.recordFailure(address: "198.51.100.7", user: "alice", now: later)
        #expect(limiter.retryAfter(address: "198.51.100.7", user: "alice", now: later) != nil)
    }

    /// Locking thousands of addresses fills only the addresses' share of the table.
    @Test func lockingManyAddressesCannotPushOutAGuessedUser() {
        var limiter = AuthFailureLimiter(configuration: configuration, capacity: 100)
        guessed(&limiter)
        for index in 0..<3_000 {
            for _ in 0..<configuration.perAddress {
                limiter.recordFailure(address: "10.0.\(index / 256).\(index % 256)", user: nil, now: start)
            }
        }
        #expect(limiter.trackedKeys <= 100)
        #expect(limiter.retryAfter(address: "192.0.2.1", user: "alice", now: start) != nil)
        // The newest locked addresses are still refused.
        #expect(limiter.retryAfter(address: "10.0.11.183", user: nil, now: start) != nil)
    }

    /// Among user buckets the fullest stay: a half-guessed user outlives a flood of one-failure names.
    @Test func aPartlyGuessedUserOutlivesFreshNames() {
        var limiter = AuthFailureLimiter(configuration: configuration, capacity: 100)
        for index in 1...3 { limiter.recordFailure(address: "192.0.2.\(index)", user: "bob", now: start) }
        for index in 0..<5_000 {
            limiter.recordFailure(address: "10.1.\(index / 256).\(index % 256)", user: "flood\(index)", now: start)
        }
        // Two more guesses fill bob's bucket: it had kept its three.
        limiter.recordFailure(address: "192.0.2.4", user: "bob", now: start)
        limiter.recordFailure(address: "192.0.2.5", user: "bob", now: start)
        #expect(limiter.retryAfter(address: "192.0.2.5", user: "bob", now: start) != nil)
    }
}

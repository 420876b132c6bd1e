import Testing
@testable import Server

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
}

@testable import ChartWardenCore
import Foundation
import NIOCore
import Testing
@testable import Server

@Suite("Request read deadline")
struct RequestReadDeadlineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func trickledBytesDoNotExtendTheDeadline() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.bytesReceived(at: at(1))
        deadline.bytesReceived(at: at(2))
        deadline.bytesReceived(at: at(3))
        #expect(deadline.timerFired(at: at(3)) == .wait(until: at(4)), "the clock runs from the first byte")
        #expect(deadline.timerFired(at: at(4)) == .close)
    }

    @Test func aCompleteRequestStopsTheClockUntilItsResponse() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.bytesReceived(at: at(1))
        deadline.requestReceived(at: at(2))
        #expect(deadline.timerFired(at: at(100)) == .none, "a slow handler is not a slow client")
        deadline.responseSent(at: at(100))
        #expect(deadline.timerFired(at: at(102)) == .wait(until: at(103)))
        #expect(deadline.timerFired(at: at(103)) == .close)
    }

    @Test func aPeerThatDoesNotReadItsAnswerIsClosed() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.bytesReceived(at: at(0))
        deadline.requestReceived(at: at(0))
        deadline.outputProgressed(at: at(1))
        deadline.writabilityChanged(isWritable: false, at: at(1))
        #expect(deadline.timerFired(at: at(3)) == .wait(until: at(4)))
        #expect(deadline.timerFired(at: at(4)) == .close)
        // A slow reader drains now and then: each drain gives it another `timeout`.
        deadline.writabilityChanged(isWritable: true, at: at(3))
        #expect(deadline.timerFired(at: at(10)) == .none, "writable again, the request is still in flight")
    }

    /// Pipelining nonstop while reading a little per cycle toggles writability: filling up again
    /// and writes queued while blocked are not progress, only drains are.
    @Test func blockingAgainAndQueuedWritesDoNotResetTheClock() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.writabilityChanged(isWritable: false, at: at(0))
        deadline.writabilityChanged(isWritable: false, at: at(2))
        deadline.outputProgressed(at: at(2))
        #expect(deadline.timerFired(at: at(3)) == .close)
        deadline.writabilityChanged(isWritable: true, at: at(3))
        #expect(deadline.timerFired(at: at(5)) == .wait(until: at(6)))
    }

    /// `Connection: close` with a second request pipelined: that request is counted as in flight
    /// but is never answered, and nothing is read after the half-close. The close bounds it.
    @Test func aHalfClosedConnectionAlwaysHasADeadline() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.bytesReceived(at: at(0))
        deadline.requestReceived(at: at(0))
        deadline.requestReceived(at: at(0))
        deadline.responseSent(at: at(1))
        #expect(deadline.requestsInFlight == 1)
        #expect(deadline.timerFired(at: at(50)) == .none, "before the fix: no deadline at all")
        deadline.outputClosed(at: at(50))
        #expect(deadline.timerFired(at: at(52)) == .wait(until: at(53)))
        deadline.outputProgressed(at: at(52))
        deadline.outputClosed(at: at(52))
        #expect(deadline.timerFired(at: at(53)) == .close)
    }

    /// An upload that starts late in the idle period gets the whole timeout from its first byte.
    @Test func theIdleDeadlineDoesNotCutARequestBeingReadShort() {
        var deadline = RequestReadDeadline(timeout: .seconds(30), now: at(0))
        deadline.responseSent(at: at(0))
        deadline.bytesReceived(at: at(25))
        #expect(deadline.timerFired(at: at(30)) == .wait(until: at(55)))
        #expect(deadline.timerFired(at: at(55)) == .close)
    }

    @Test func outputMovingKeepsAnIdleConnectionOpen() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.outputProgressed(at: at(2))
        deadline.outputProgressed(at: at(4))
        #expect(deadline.timerFired(at: at(6)) == .wait(until: at(7)))
        // ...but not a request being read.
        deadline.bytesReceived(at: at(6))
        deadline.outputProgressed(at: at(8))
        #expect(deadline.timerFired(at: at(9)) == .close)
    }

    @Test func anEarlyResponseBeforeTheBodyEndsLeavesNoRequestInFlight() {
        var deadline = RequestReadDeadline(timeout: .seconds(3), now: at(0))
        deadline.bytesReceived(at: at(0))
        deadline.responseSent(at: at(1))
        deadline.requestReceived(at: at(2))
        #expect(deadline.requestsInFlight == 0)
        #expect(deadline.timerFired(at: at(4)) == .close)
    }
}

@Suite("Certificate rejection aggregation")
struct CertificateRejectionAggregatorTests {
    @Test func oneBucketPerAddressAndMinute() {
        var aggregator = CertificateRejectionAggregator(maximumBuckets: 10)
        for _ in 0..<2_000 { #expect(aggregator.record(address: "10.0.0.1", reason: "expired", minute: 7) == .counted) }
        _ = aggregator.record(address: "10.0.0.1", reason: "unknown CA", minute: 7)
        _ = aggregator.record(address: "10.0.0.2", reason: "expired", minute: 7)
        _ = aggregator.record(address: "10.0.0.1", reason: "expired", minute: 8)
        let complete = aggregator.take(before: 8)
        #expect(complete == [
            .init(address: "10.0.0.1", minute: 7, count: 2_001, reasons: ["expired", "unknown CA"]),
            .init(address: "10.0.0.2", minute: 7, count: 1, reasons: ["expired"]),
        ])
        #expect(aggregator.take() == [.init(address: "10.0.0.1", minute: 8, count: 1, reasons: ["expired"])])
        #expect(aggregator.take().isEmpty)
    }

    @Test func aFullQueueDropsAndCounts() {
        var aggregator = CertificateRejectionAggregator(maximumBuckets: 2)
        _ = aggregator.record(address: "a", reason: "r", minute: 1)
        _ = aggregator.record(address: "b", reason: "r", minute: 1)
        #expect(aggregator.record(address: "c", reason: "r", minute: 1) == .overflowed)
        #expect(aggregator.record(address: "d", reason: "r", minute: 1) == .overflowed)
        #expect(aggregator.record(address: "a", reason: "r", minute: 1) == .counted, "existing buckets still count")
        #expect(aggregator.takeDropped() == 2)
        #expect(aggregator.takeDropped() == 0)
        // Past the bound, refusals are still audited, in one overflow bucket per minute.
        let taken = aggregator.take()
        #expect(taken.map(\.address) == ["a", "b", "*"])
        #expect(taken.last?.count == 2)
    }

    /// The event carries its last refusal's time: a `since` poller that read the minute's start
    /// already must still see it.
    @Test func aBucketIsStampedWithItsLastRefusal() {
        var aggregator = CertificateRejectionAggregator(maximumBuckets: 2)
        let first = Date(timeIntervalSince1970: 600)
        _ = aggregator.record(address: "a", reason: "r", minute: 10, at: first.addingTimeInterval(5))
        _ = aggregator.record(address: "a", reason: "r", minute: 10, at: first.addingTimeInterval(40))
        #expect(aggregator.take()[0].last == first.addingTimeInterval(40))
    }

    @Test func refusalsFromOneIPv6Slash64ShareABucket() throws {
        var aggregator = CertificateRejectionAggregator(maximumBuckets: 2)
        for host in ["2001:db8::1", "2001:db8::2", "2001:db8::ffff:3"] {
            let address = AddressGroup(try SocketAddress(ipAddress: host, port: 1)).description
            _ = aggregator.record(address: address, reason: "r", minute: 1)
        }
        let taken = aggregator.take()
        #expect(taken.count == 1)
        #expect(taken.first?.count == 3)
    }

    @Test func reasonsAreBounded() {
        var aggregator = CertificateRejectionAggregator(maximumBuckets: 2)
        for index in 0..<50 {
            _ = aggregator.record(address: "a", reason: "\(index) " + String(repeating: "x", count: 1_000), minute: 1)
        }
        let bucket = aggregator.take()[0]
        #expect(bucket.count == 50)
        #expect(bucket.reasons.count == CertificateRejectionAggregator.maximumReasons)
        #expect(bucket.reasons.allSatisfy { $0.count <= CertificateRejectionAggregator.maximumReasonLength })
    }

    @Test func theAuditorWritesAggregatesWhenFlushed() async {
        let written = Written()
        let auditor = CertificateRejectionAuditor(write: { await written.append($0) })
        let now = Date(timeIntervalSince1970: 600)
        for _ in 0..<25 { auditor.record(address: "127.0.0.1", reason: "expired", at: now) }
        await auditor.flush(all: false, now: now)
        #expect(await written.buckets.isEmpty, "the minute is not over")
        await auditor.flush(all: false, now: now.addingTimeInterval(60))
        #expect(await written.buckets == [.init(address: "127.0.0.1", minute: 10, count: 25, reasons: ["expired"], last: now)])
    }

    /// A refusal stamped with a minute already written (it raced the take) counts in the next
    /// minute's bucket instead of opening a second row for its own.
    @Test func aRefusalRacingTheTakeJoinsTheOpenMinute() {
        var aggregator = CertificateRejectionAggregator(maximumBuckets: 4)
        _ = aggregator.record(address: "a", reason: "r", minute: 7)
        #expect(aggregator.take(before: 8).map(\.minute) == [7])
        _ = aggregator.record(address: "a", reason: "r", minute: 7)
        _ = aggregator.record(address: "a", reason: "r", minute: 8)
        #expect(aggregator.take() == [.init(address: "a", minute: 8, count: 2, reasons: ["r"])])
    }

    /// Nothing is written before its minute is over, however often a reader asks: a reader sees
    /// the buckets still counting, and those being written until their write returns.
    @Test func pendingBucketsStayVisibleUntilWritten() async {
        let gate = WriteGate()
        let auditor = CertificateRejectionAuditor(write: { await gate.write($0) })
        let now = Date(timeIntervalSince1970: 600)
        for _ in 0..<3 { auditor.record(address: "127.0.0.1", reason: "expired", at: now) }
        #expect(auditor.pending().counting.map(\.count) == [3])
        let flush = Task { await auditor.flush(all: false, now: now.addingTimeInterval(60)) }
        await gate.waitUntilWriting()
        #expect(auditor.pending().counting.isEmpty)
        #expect(auditor.pending().writing.map(\.count) == [3], "taken but not written: still shown")
        await gate.release()
        await flush.value
        #expect(auditor.pending().writing.isEmpty)
        #expect(await gate.written.map(\.count) == [3])
    }

    /// Holds a write until released, so a test can look at the auditor while a write is in flight.
    actor WriteGate {
        var written: [CertificateRejectionAggregator.Bucket] = []
        private var writing: CheckedContinuation<Void, Never>?
        private var waiting: CheckedContinuation<Void, Never>?
        private var released = false

        func write(_ bucket: CertificateRejectionAggregator.Bucket) async {
            waiting?.resume()
            waiting = nil
            if !released { await withCheckedContinuation { writing = $0 } }
            written.append(bucket)
        }

        func waitUntilWriting() async {
            guard writing == nil else { return }
            await withCheckedContinuation { waiting = $0 }
        }

        func release() {
            released = true
            writing?.resume()
            writing = nil
        }
    }

    actor Written {
        var buckets: [CertificateRejectionAggregator.Bucket] = []
        func append(_ bucket: CertificateRejectionAggregator.Bucket) { buckets.append(bucket) }
    }
}

@Suite("Connection limit")
struct ConnectionLimiterTests {
    @Test func refusesPastTheLimitAndFreesOnRelease() {
        let limiter = ConnectionLimiter(limit: 2, perAddressLimit: 10)
        let group = AddressGroup(try! SocketAddress(ipAddress: "10.0.0.1", port: 1))
        #expect(limiter.tryAcquire(group))
        #expect(limiter.tryAcquire(group))
        #expect(!limiter.tryAcquire(group))
        #expect(limiter.openConnections == 2)
        limiter.release(group)
        #expect(limiter.tryAcquire(group))
    }

    @Test func oneAddressCannotTakeEverySlot() throws {
        let limiter = ConnectionLimiter(limit: 10, perAddressLimit: 2)
        let one = AddressGroup(try SocketAddress(ipAddress: "10.0.0.1", port: 1))
        let other = AddressGroup(try SocketAddress(ipAddress: "10.0.0.2", port: 1))
        #expect(limiter.tryAcquire(one))
        #expect(limiter.tryAcquire(one))
        #expect(!limiter.tryAcquire(one))
        #expect(limiter.openConnections == 2, "a refusal holds no slot")
        #expect(limiter.tryAcquire(other))
        limiter.release(one)
        #expect(limiter.tryAcquire(one))
    }

    @Test func ipv6IsGroupedBySlash64() throws {
        let a = AddressGroup(try SocketAddress(ipAddress: "2001:db8:1:2::1", port: 1))
        let b = AddressGroup(try SocketAddress(ipAddress: "2001:db8:1:2:ffff:1:2:3", port: 1))
        let c = AddressGroup(try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1))
        #expect(a == b)
        #expect(a != c)
        #expect(a.description == "2001:db8:1:2::/64")
        let mapped = AddressGroup(try SocketAddress(ipAddress: "::ffff:10.0.0.1", port: 1))
        #expect(mapped == AddressGroup(try SocketAddress(ipAddress: "10.0.0.1", port: 1)))
    }

    @Test func descriptorBudgetRaisesTheSoftLimitOrRefuses() {
        let budget = DescriptorBudget(listeners: 2, maxConnections: 1_000)
        #expect(budget.needed == 2_256)
        #expect(budget.decide(soft: 4_096, hard: 4_096) == .enough)
        #expect(budget.decide(soft: 1_024, hard: 524_288) == .raise(to: 524_288))
        #expect(budget.decide(soft: 1_024, hard: UInt64(rlim_t.max)) == .raise(to: 2_256))
        #expect(budget.decide(soft: 1_024, hard: 2_000) == .insufficient(needed: 2_256, hard: 2_000))
    }
}

@Suite("Fast path input gate")
struct FastPathInputGateTests {
    /// A flush inside the answer loop fires writability events re-entrantly: they must neither
    /// answer nor release a read while the loop runs.
    @Test func writabilityWhileAnsweringDecidesNothing() {
        var gate = FastPathInputGate()
        #expect(gate.answering(totalBytes: 1_000) == .answer)
        #expect(gate.readRequested(isWritable: true) == .hold)
        #expect(gate.writabilityChanged(isWritable: true) == .none)
        #expect(gate.takeHeldRead(isWritable: true) == false, "a read while answers are still being written")
        gate.answered(heldBytes: 500)
        #expect(gate.takeHeldRead(isWritable: true) == false, "input is still held")
        #expect(gate.writabilityChanged(isWritable: true) == .answerHeld)
        #expect(gate.answering(totalBytes: 500) == .answer)
        gate.answered(heldBytes: 0)
        #expect(gate.takeHeldRead(isWritable: false) == false, "only once the channel is writable")
        #expect(gate.takeHeldRead(isWritable: true) == true)
        #expect(gate.readRequested(isWritable: true) == .forward)
    }

    @Test func heldInputIsCapped() {
        var gate = FastPathInputGate()
        #expect(gate.answering(totalBytes: FastPathInputGate.heldInputLimit) == .answer)
        gate.answered(heldBytes: 10)
        #expect(gate.answering(totalBytes: FastPathInputGate.heldInputLimit + 1) == .close)
    }
}

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
        #expect(deadline.timerFired(at: at(3)) == .wait(until: at(3)) || deadline.timerFired(at: at(3)) == .close)
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
        deadline.writabilityChanged(isWritable: false, at: at(1))
        #expect(deadline.timerFired(at: at(3)) == .wait(until: at(4)))
        #expect(deadline.timerFired(at: at(4)) == .close)
        // A slow reader drains now and then: each drain gives it another `timeout`.
        deadline.writabilityChanged(isWritable: true, at: at(3))
        #expect(deadline.timerFired(at: at(10)) == .none, "writable again, the request is still in flight")
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
        #expect(aggregator.record(address: "c", reason: "r", minute: 1) == .dropped)
        #expect(aggregator.record(address: "a", reason: "r", minute: 1) == .counted, "existing buckets still count")
        #expect(aggregator.takeDropped() == 1)
        #expect(aggregator.takeDropped() == 0)
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
        #expect(await written.buckets == [.init(address: "127.0.0.1", minute: 10, count: 25, reasons: ["expired"])])
    }

    actor Written {
        var buckets: [CertificateRejectionAggregator.Bucket] = []
        func append(_ bucket: CertificateRejectionAggregator.Bucket) { buckets.append(bucket) }
    }
}

@Suite("Connection limit")
struct ConnectionLimiterTests {
    @Test func refusesPastTheLimitAndFreesOnRelease() {
        let limiter = ConnectionLimiter(limit: 2)
        #expect(limiter.tryAcquire())
        #expect(limiter.tryAcquire())
        #expect(!limiter.tryAcquire())
        #expect(limiter.openConnections == 2)
        limiter.release()
        #expect(limiter.tryAcquire())
    }

    @Test func maxConnectionsIsParsedStrictly() throws {
        let minimal = ConfigurationTests.minimal
        let withLimit = { (value: String) in
            minimal.replacingOccurrences(of: "    privateKey: server.key", with: "    privateKey: server.key\n  maxConnections: \(value)")
        }
        #expect(try ChartWardenConfiguration.parse(yaml: minimal).server.maxConnections == 2_048)
        #expect(try ChartWardenConfiguration.parse(yaml: withLimit("10")).server.maxConnections == 10)
        for bad in ["0", "-5", "many", "2000000"] {
            do {
                _ = try ChartWardenConfiguration.parse(yaml: withLimit(bad))
                Issue.record("maxConnections \(bad) was accepted")
            } catch {
                #expect(error.key == "server.maxConnections", "\(bad)")
            }
        }
    }
}

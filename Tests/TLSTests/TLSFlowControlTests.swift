import Testing
@testable import TLS

@Suite("TLS flow control")
struct TLSFlowControlTests {
    @Test func readsPassWhileWritable() {
        var flow = TLSFlowControl()
        #expect(flow.readRequested() == .forward)
        #expect(flow.mayEncrypt(pendingPlaintext: true))
        #expect(!flow.mayEncrypt(pendingPlaintext: false))
    }

    @Test func notWritableHoldsReadsAndEncryptionUntilDrained() {
        var flow = TLSFlowControl()
        #expect(flow.writabilityChanged(isWritable: false) == .wait)
        #expect(flow.readRequested() == .hold)
        #expect(flow.readRequested() == .hold)
        #expect(!flow.mayEncrypt(pendingPlaintext: true))
        // Drained: encrypt again and issue the one held read.
        #expect(flow.writabilityChanged(isWritable: true) == .resume(issueHeldRead: true))
        #expect(flow.mayEncrypt(pendingPlaintext: true))
        #expect(flow.writabilityChanged(isWritable: true) == .resume(issueHeldRead: false))
    }
}

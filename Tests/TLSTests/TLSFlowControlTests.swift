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
        #expect(flow.writabilityChanged(isWritable: true) == .resume)
        #expect(flow.mayEncrypt(pendingPlaintext: true))
        #expect(flow.takeHeldRead(isWritable: true) == true)
        #expect(flow.writabilityChanged(isWritable: true) == .resume)
        #expect(flow.takeHeldRead(isWritable: true) == false)
    }

    /// Encrypting what was buffered on a drain can fill the channel again: the held read must
    /// then wait for the next drain, or a peer that does not read gets its input read anyway.
    @Test func aHeldReadStaysHeldWhenResumingFillsTheChannelAgain() {
        var flow = TLSFlowControl()
        _ = flow.writabilityChanged(isWritable: false)
        #expect(flow.readRequested() == .hold)
        #expect(flow.writabilityChanged(isWritable: true) == .resume)
        // encryptBufferedWrites + flush made the channel unwritable again.
        #expect(flow.takeHeldRead(isWritable: false) == false)
        #expect(flow.readHeld)
        #expect(!flow.mayEncrypt(pendingPlaintext: true))
        #expect(flow.writabilityChanged(isWritable: true) == .resume)
        #expect(flow.takeHeldRead(isWritable: true) == true)
    }
}

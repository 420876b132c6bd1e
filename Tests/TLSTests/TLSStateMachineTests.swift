import Testing
@testable import TLS

@Suite("TLS state machine")
struct TLSStateMachineTests {
    private let failure = TLSError(.handshakeFailed, "no shared cipher")

    private func active() -> TLSStateMachine {
        var machine = TLSStateMachine()
        _ = machine.channelActive()
        _ = machine.handshakeStepped(.complete)
        return machine
    }

    @Test func handshakeRunsUntilCompleteThenReads() {
        var machine = TLSStateMachine()
        #expect(machine.state == .idle)
        #expect(machine.channelActive() == .continueHandshake)
        #expect(machine.state == .handshaking)
        #expect(machine.handshakeStepped(.wantsMoreData) == .sendCiphertext)
        #expect(machine.ciphertextReceived() == .continueHandshake)
        #expect(machine.handshakeStepped(.complete) == .handshakeCompleted)
        #expect(machine.state == .active)
        #expect(machine.ciphertextReceived() == .readPlaintext)
        #expect(machine.channelActive() == .none)
    }

    @Test func writesWaitForTheHandshake() {
        var machine = TLSStateMachine()
        _ = machine.channelActive()
        #expect(machine.writeRequested() == .bufferWrite)
        #expect(machine.flushRequested() == .none)
        _ = machine.handshakeStepped(.complete)
        #expect(machine.flushRequested() == .encryptWrites)
    }

    @Test func handshakeFailureClosesWithTheError() {
        var machine = TLSStateMachine()
        _ = machine.channelActive()
        #expect(machine.handshakeStepped(.failed(failure)) == .failConnection(failure))
        #expect(machine.state == .closed)
        #expect(machine.ciphertextReceived() == .discardInput)
        #expect(machine.channelInactive() == .none)
    }

    @Test func handshakeTimeoutOnlyBeforeActive() {
        var stalled = TLSStateMachine()
        _ = stalled.channelActive()
        guard case .failConnection(let error) = stalled.handshakeTimedOut() else {
            Issue.record("a stalled handshake must fail")
            return
        }
        #expect(error.code == .handshakeTimeout)
        var done = active()
        #expect(done.handshakeTimedOut() == .none)
        #expect(done.state == .active)
    }

    @Test func peerCloseNotifyIsAnsweredAndClosed() {
        var machine = active()
        #expect(machine.plaintextRead(.closeNotify) == .sendCloseNotifyAndClose)
        #expect(machine.state == .closing)
        #expect(machine.writeRequested() == .failWrite(TLSError(.connectionClosing, "the TLS connection is closing")))
        #expect(machine.channelInactive() == .none)
        #expect(machine.state == .closed)
    }

    @Test func localCloseSendsCloseNotifyThenAcceptsThePeersReply() {
        var machine = active()
        #expect(machine.closeRequested() == .sendCloseNotifyAndClose)
        #expect(machine.state == .closing)
        #expect(machine.ciphertextReceived() == .readPlaintext)
        #expect(machine.plaintextRead(.closeNotify) == .closeSocket)
        #expect(machine.state == .closed)
        #expect(machine.closeRequested() == .closeSocket)
    }

    @Test func closeBeforeHandshakeSkipsTLSGoodbye() {
        var machine = TLSStateMachine()
        _ = machine.channelActive()
        #expect(machine.closeRequested() == .closeSocket)
        #expect(machine.state == .closed)
    }

    @Test func eofWithoutCloseNotifyIsUnclean() {
        var machine = active()
        #expect(machine.channelInactive() == .reportUncleanShutdown)
        var handshaking = TLSStateMachine()
        _ = handshaking.channelActive()
        #expect(handshaking.channelInactive() == .none)
    }

    @Test func decryptFailureFailsTheConnection() {
        var machine = active()
        let error = TLSError(.protocolFailure, "bad record mac")
        #expect(machine.plaintextRead(.failed(error)) == .failConnection(error))
        #expect(machine.state == .closed)
        #expect(machine.plaintextRead(.wantsMoreData) == .none)
    }
}

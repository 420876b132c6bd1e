/// The life of one server-side TLS connection as a pure value: events in, actions out. The channel
/// handler performs the actions (OpenSSL calls and socket I/O); this type decides which, so every
/// ordering rule can be tested without a socket.
///
/// idle → handshaking → active → closing → closed, with any state able to fail into closed.
public struct TLSStateMachine: Sendable {
    public enum State: Equatable, Sendable {
        case idle
        case handshaking
        case active
        case closing
        case closed
    }

    public enum HandshakeOutcome: Equatable, Sendable {
        case complete
        case wantsMoreData
        case failed(TLSError)
    }

    public enum ReadOutcome: Equatable, Sendable {
        /// Everything decryptable was decrypted; wait for more ciphertext.
        case wantsMoreData
        /// The peer sent close_notify.
        case closeNotify
        case failed(TLSError)
    }

    public enum Action: Equatable, Sendable {
        case none
        /// Run (or continue) the handshake over what has been received.
        case continueHandshake
        /// Send what OpenSSL produced (handshake messages) and wait for the peer.
        case sendCiphertext
        /// Cancel the handshake timer, publish the peer identity, encrypt buffered writes and
        /// decrypt any application data that arrived with the last handshake flight.
        case handshakeCompleted
        /// Decrypt what has arrived and pass it up.
        case readPlaintext
        /// Keep the write until the handshake completes.
        case bufferWrite
        /// Encrypt buffered writes and send them.
        case encryptWrites
        /// Refuse the write: the connection is closing or closed.
        case failWrite(TLSError)
        /// Queue close_notify, send it, then close the socket.
        case sendCloseNotifyAndClose
        /// Close the socket without a TLS goodbye (nothing negotiated, or already said).
        case closeSocket
        /// Send any alert OpenSSL queued, report the error, close the socket.
        case failConnection(TLSError)
        /// Input after the connection finished closing is dropped.
        case discardInput
        /// The peer closed TCP without close_notify: report it; the socket is already gone.
        case reportUncleanShutdown
    }

    public private(set) var state: State = .idle

    public init() {}

    public mutating func channelActive() -> Action {
        guard state == .idle else { return .none }
        state = .handshaking
        return .continueHandshake
    }

    public mutating func ciphertextReceived() -> Action {
        switch state {
        case .idle:
            state = .handshaking
            return .continueHandshake
        case .handshaking:
            return .continueHandshake
        case .active, .closing:
            // While closing we still read, to consume the peer's close_notify.
            return .readPlaintext
        case .closed:
            return .discardInput
        }
    }

    public mutating func handshakeStepped(_ outcome: HandshakeOutcome) -> Action {
        guard state == .handshaking else { return .none }
        switch outcome {
        case .complete:
            state = .active
            return .handshakeCompleted
        case .wantsMoreData:
            return .sendCiphertext
        case .failed(let error):
            state = .closed
            return .failConnection(error)
        }
    }

    public mutating func plaintextRead(_ outcome: ReadOutcome) -> Action {
        switch (state, outcome) {
        case (_, .wantsMoreData):
            return .none
        case (.active, .closeNotify):
            state = .closing
            return .sendCloseNotifyAndClose
        case (.closing, .closeNotify):
            state = .closed
            return .closeSocket
        case (.closed, _):
            return .none
        case (_, .closeNotify):
            state = .closed
            return .closeSocket
        case (_, .failed(let error)):
            state = .closed
            return .failConnection(error)
        }
    }

    public mutating func writeRequested() -> Action {
        switch state {
        case .idle, .handshaking, .active:
            return .bufferWrite
        case .closing, .closed:
            return .failWrite(TLSError(.connectionClosing, "the TLS connection is closing"))
        }
    }

    public mutating func flushRequested() -> Action {
        switch state {
        case .idle, .handshaking:
            return .none
        case .active:
            return .encryptWrites
        case .closing, .closed:
            return .failWrite(TLSError(.connectionClosing, "the TLS connection is closing"))
        }
    }

    public mutating func closeRequested() -> Action {
        switch state {
        case .idle, .handshaking:
            state = .closed
            return .closeSocket
        case .active:
            state = .closing
            return .sendCloseNotifyAndClose
        case .closing, .closed:
            return .closeSocket
        }
    }

    public mutating func handshakeTimedOut() -> Action {
        switch state {
        case .idle, .handshaking:
            state = .closed
            return .failConnection(TLSError(.handshakeTimeout, "TLS handshake did not complete in time"))
        case .active, .closing, .closed:
            return .none
        }
    }

    public mutating func channelInactive() -> Action {
        let previous = state
        state = .closed
        return previous == .active ? .reportUncleanShutdown : .none
    }
}

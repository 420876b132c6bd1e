import NIOCore
import NIOTLS

/// Server-side TLS on system OpenSSL as a NIO channel handler: ciphertext below, plaintext above.
///
/// `TLSStateMachine` decides; this class only performs the decisions — OpenSSL calls through
/// `TLSConnection` and reads/writes on the channel. It lives on one event loop.
public final class OpenSSLServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var stateMachine = TLSStateMachine()
    private var flowControl = TLSFlowControl()
    private let connection: TLSConnection
    private let handshakeTimeout: Duration
    private var handshakeTimer: Scheduled<Void>?
    /// Plaintext not encrypted yet: written before the handshake completed, or held while the
    /// channel is not writable (see `TLSFlowControl`).
    private var bufferedWrites = CircularBuffer<(ByteBuffer, EventLoopPromise<Void>?)>(initialCapacity: 4)
    /// A close asked for while the peer had not read what is queued: done once it has, or when
    /// the next close forces it (`RequestTimeoutHandler` bounds the wait).
    private var pendingClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    /// A flush arrived during the handshake; honoured once it completes.
    private var flushPending = false
    private var plaintext: ByteBuffer?
    /// Writes smaller than one TLS record in total are merged before encryption.
    static let coalesceLimit = 16_384

    /// The verified client certificate, set when the handshake completes.
    public private(set) var peerIdentity: PeerIdentity?
    /// "TLSv1.3" / cipher name once negotiated, for logs.
    public private(set) var negotiatedVersion: String?
    public private(set) var negotiatedCipher: String?

    public init(context: TLSContext) throws(TLSError) {
        connection = try context.makeConnection()
        handshakeTimeout = context.configuration.handshakeTimeout
    }

    public var state: TLSStateMachine.State { stateMachine.state }

    // MARK: inbound

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        failBufferedWrites(TLSError(.connectionClosing, "TLS handler removed"))
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        let action = stateMachine.channelActive()
        guard action != .none else { return }
        let nanoseconds = handshakeTimeout.components.seconds * 1_000_000_000
            + handshakeTimeout.components.attoseconds / 1_000_000_000
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
            perform(stateMachine.handshakeTimedOut(), context: context)
        }
        perform(action, context: context)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.receive(unwrapInboundIn(data))
        perform(stateMachine.ciphertextReceived(), context: context)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        deliverPlaintext(context: context)
        sendCiphertext(context: context, promise: nil)
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if flowControl.writabilityChanged(isWritable: context.channel.isWritable) == .resume {
            if stateMachine.state == .active, !bufferedWrites.isEmpty {
                encryptBufferedWrites(context: context)
                context.flush()
            }
            if bufferedWrites.isEmpty, let pending = pendingClose {
                pendingClose = nil
                closeNow(context: context, mode: pending.mode, promise: pending.promise)
            }
            if flowControl.takeHeldRead(isWritable: context.channel.isWritable) { context.read() }
        }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        let action = stateMachine.channelInactive()
        deliverPlaintext(context: context)
        failBufferedWrites(TLSError(.connectionClosing, "the connection closed"))
        pendingClose?.promise?.fail(ChannelError.alreadyClosed)
        pendingClose = nil
        if action == .reportUncleanShutdown {
            context.fireErrorCaught(TLSError(.uncleanShutdown, "peer closed the connection without close_notify"))
        }
        context.fireChannelInactive()
    }

    // MARK: outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch stateMachine.writeRequested() {
        case .failWrite(let error):
            promise?.fail(error)
        default:
            bufferedWrites.append((unwrapOutboundIn(data), promise))
        }
    }

    /// No more input while the peer is not consuming our output: what it sends next would only
    /// add answers to a queue it does not drain.
    public func read(context: ChannelHandlerContext) {
        if flowControl.readRequested() == .forward { context.read() }
    }

    public func flush(context: ChannelHandlerContext) {
        let action = stateMachine.flushRequested()
        if action == .none { flushPending = true }
        perform(action, context: context)
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        var promise = promise
        if let pending = pendingClose {
            // Asked again (the read deadline): close now, with what the peer has read.
            pendingClose = nil
            if let earlier = pending.promise {
                if let promise { earlier.futureResult.cascade(to: promise) }
                promise = earlier
            }
        } else if stateMachine.state == .active, !bufferedWrites.isEmpty, !context.channel.isWritable {
            // The rest of a response is queued behind what the peer has not read yet.
            pendingClose = (mode, promise)
            return
        }
        closeNow(context: context, mode: mode, promise: promise)
    }

    private func closeNow(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch stateMachine.closeRequested() {
        case .sendCloseNotifyAndClose:
            sendCloseNotify(context: context)
            context.close(mode: mode, promise: promise)
        default:
            failBufferedWrites(TLSError(.connectionClosing, "the TLS connection is closing"))
            context.close(mode: mode, promise: promise)
        }
    }

    /// Encrypts what is buffered only while the peer reads, then close_notify: encrypting all of
    /// it for a peer that does not read would copy every queued answer into ciphertext for nobody.
    private func sendCloseNotify(context: ChannelHandlerContext) {
        encryptBufferedWrites(context: context)
        failBufferedWrites(TLSError(.connectionClosing, "the peer did not read the rest before the close"))
        connection.sendCloseNotify()
        sendCiphertext(context: context, promise: nil)
        context.flush()
    }

    // MARK: actions

    private func perform(_ action: TLSStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .bufferWrite, .discardInput, .reportUncleanShutdown:
            break
        case .continueHandshake:
            let outcome = connection.handshake()
            perform(stateMachine.handshakeStepped(outcome), context: context)
        case .sendCiphertext:
            sendCiphertext(context: context, promise: nil)
            context.flush()
        case .handshakeCompleted:
            handshakeTimer?.cancel()
            handshakeTimer = nil
            do {
                peerIdentity = try connection.verifiedPeerIdentity()
            } catch {
                // A verified certificate whose names do not read exactly: refused like an
                // unverified one (and audited by the rejection handler).
                perform(.failConnection(error), context: context)
                return
            }
            negotiatedVersion = connection.protocolVersion
            negotiatedCipher = connection.cipherName
            sendCiphertext(context: context, promise: nil)
            context.flush()
            context.fireUserInboundEventTriggered(
                TLSUserEvent.handshakeCompleted(negotiatedProtocol: connection.negotiatedProtocol))
            if flushPending {
                flushPending = false
                perform(stateMachine.flushRequested(), context: context)
            }
            perform(stateMachine.ciphertextReceived(), context: context)
        case .readPlaintext:
            let outcome = connection.readPlaintext(into: &plaintext, allocator: context.channel.allocator)
            perform(stateMachine.plaintextRead(outcome), context: context)
        case .encryptWrites:
            encryptBufferedWrites(context: context)
            context.flush()
        case .failWrite(let error):
            failBufferedWrites(error)
        case .sendCloseNotifyAndClose:
            deliverPlaintext(context: context)
            sendCloseNotify(context: context)
            context.close(promise: nil)
        case .closeSocket:
            deliverPlaintext(context: context)
            context.close(promise: nil)
        case .failConnection(let error):
            handshakeTimer?.cancel()
            handshakeTimer = nil
            // Send the alert OpenSSL queued so the client learns why.
            sendCiphertext(context: context, promise: nil)
            context.flush()
            failBufferedWrites(error)
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    private func deliverPlaintext(context: ChannelHandlerContext) {
        guard let buffer = plaintext, buffer.readableBytes > 0 else { return }
        plaintext = nil
        context.fireChannelRead(wrapInboundOut(buffer))
    }

    /// Encrypts buffered writes while the channel is writable, one
    /// batch at a time: a run of small writes merged into one record, or one chunk of a large one.
    /// A batch's socket write carries the promises of the plaintext writes it finished.
    private func encryptBufferedWrites(context: ChannelHandlerContext) {
        while flowControl.mayEncrypt(pendingPlaintext: !bufferedWrites.isEmpty), !bufferedWrites.isEmpty {
            var promises: [EventLoopPromise<Void>] = []
            var plaintext: ByteBuffer
            let first = bufferedWrites.first!
            if first.0.readableBytes > TLSConnection.writeChunk {
                // One chunk of a large write; the rest waits for the channel to drain.
                plaintext = first.0.getSlice(at: first.0.readerIndex, length: TLSConnection.writeChunk)!
                bufferedWrites[bufferedWrites.startIndex].0.moveReaderIndex(forwardBy: TLSConnection.writeChunk)
            } else {
                // A response head and a small body become one TLS record instead of two or three.
                var count = 1
                var total = first.0.readableBytes
                while count < bufferedWrites.count {
                    let size = bufferedWrites[bufferedWrites.index(bufferedWrites.startIndex, offsetBy: count)].0.readableBytes
                    guard total + size <= Self.coalesceLimit else { break }
                    total += size
                    count += 1
                }
                if count == 1 {
                    plaintext = bufferedWrites.removeFirst().0
                    if let promise = first.1 { promises.append(promise) }
                } else {
                    plaintext = context.channel.allocator.buffer(capacity: total)
                    for _ in 0..<count {
                        var (buffer, promise) = bufferedWrites.removeFirst()
                        plaintext.writeBuffer(&buffer)
                        if let promise { promises.append(promise) }
                    }
                }
            }
            let error = connection.write(plaintext, emit: { ciphertext in
                context.write(wrapOutboundOut(ciphertext), promise: nil)
            })
            if let error {
                promises.forEach { $0.fail(error) }
                perform(stateMachine.plaintextRead(.failed(error)), context: context)
                return
            }
            let combined: EventLoopPromise<Void>?
            switch promises.count {
            case 0: combined = nil
            case 1: combined = promises[0]
            default:
                let promise = context.eventLoop.makePromise(of: Void.self)
                for each in promises { promise.futureResult.cascade(to: each) }
                combined = promise
            }
            if !sendCiphertext(context: context, promise: combined) {
                combined?.succeed()
            }
        }
    }

    /// Writes what OpenSSL produced; returns false when there was nothing.
    @discardableResult
    private func sendCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) -> Bool {
        guard let ciphertext = connection.takeCiphertext() else { return false }
        context.write(wrapOutboundOut(ciphertext), promise: promise)
        return true
    }

    private func failBufferedWrites(_ error: TLSError) {
        let writes = bufferedWrites
        bufferedWrites.removeAll()
        for (_, promise) in writes { promise?.fail(error) }
    }
}

@available(*, unavailable)
extension OpenSSLServerHandler: Sendable {}

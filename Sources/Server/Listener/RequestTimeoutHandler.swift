import NIOCore
import NIOTLS

/// Enforces `server.readTimeoutSeconds` on the plaintext bytes of a connection (right after the
/// TLS handler): a request's head and body must arrive within the timeout of its first byte, and
/// a connection doing nothing is closed after the same time. Trickling one byte at a time does
/// not keep a connection open. `RequestReadDeadline` decides; this handler only keeps the clock.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var deadline: RequestReadDeadline
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        deadline = RequestReadDeadline(timeout: timeout, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIfNeeded(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        deadline.outputProgressed(at: .now())
        scheduleIfNeeded(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline.bytesReceived(at: .now())
        scheduleIfNeeded(context: context)
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The TLS handshake finished: the idle clock starts over. Nothing else from below is progress.
        if case .handshakeCompleted = event as? TLSUserEvent {
            deadline.outputProgressed(at: .now())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // A half-closed connection waits for the peer, which may never answer: bound the wait.
        if mode != .input {
            deadline.outputClosed(at: .now())
            scheduleIfNeeded(context: context)
        }
        context.close(mode: mode, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The peer is reading what we owe it (a slow download is not an idle connection), or it
        // stopped: then it has `timeout` to drain some before the connection is closed.
        deadline.writabilityChanged(isWritable: context.channel.isWritable, at: .now())
        scheduleIfNeeded(context: context)
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        deadline.outputProgressed(at: .now())
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let progress = event as? RequestProgressEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        let now = NIODeadline.now()
        switch progress {
        case .requestReceived:
            deadline.requestReceived(at: now)
        case .responseSent:
            deadline.responseSent(at: now)
        case .requestAnswered:
            deadline.requestReceived(at: now)
            deadline.responseSent(at: now)
        }
        scheduleIfNeeded(context: context)
        promise?.succeed()
    }

    /// One timer at a time: deadlines only move later while it is pending, so it re-checks when
    /// it fires instead of being rescheduled per byte.
    private func scheduleIfNeeded(context: ChannelHandlerContext) {
        guard timer == nil, let due = deadline.deadline else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timer = nil
            switch deadline.timerFired(at: .now()) {
            case .close:
                context.close(promise: nil)
            case .wait:
                scheduleIfNeeded(context: context)
            case .none:
                break
            }
        }
    }
}

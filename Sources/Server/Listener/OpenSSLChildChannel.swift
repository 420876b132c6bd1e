import HummingbirdCore
import Logging
import NIOCore
import TLS

/// A Hummingbird child channel that puts our OpenSSL handler in front of the wrapped channel's
/// pipeline (HummingbirdTLS/NIOSSL is not used). The context is fetched per connection so a
/// SIGHUP reload applies to new connections only.
struct OpenSSLChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    /// A connection past `server.maxConnections`, closed before any TLS work.
    struct ConnectionRefused: Error {}

    let base: Base
    let contexts: TLSContextProvider
    /// When set, public index and chart GETs are answered from the decrypted bytes
    /// (`HelmFastPathHandler`).
    let fastPath: HelmFastPathHandler.Dependencies?
    /// Receives handshakes refused on the client certificate, for the audit log.
    let authenticator: Authenticator?
    /// `server.readTimeoutSeconds`, enforced by `RequestTimeoutHandler` (the base channel has none).
    let readTimeout: TimeAmount
    let limiter: ConnectionLimiter
    let metrics: ServerMetrics

    /// Largest read from the socket, and one read per cycle: a read of tiny pipelined requests
    /// decodes into as many requests as it holds, all buffered at once above the HTTP/1 codec.
    static var maximumReadBytes: Int { 16_384 }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let group = AddressGroup(channel.remoteAddress)
        guard limiter.tryAcquire(group) else {
            // Refused at accept: no SSL object, no handler, no task. The channel is not registered
            // yet, so closing it only closes the socket.
            metrics.connectionRefused()
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionRefused())
        }
        let limiter = self.limiter
        channel.closeFuture.whenComplete { _ in limiter.release(group) }
        return channel.eventLoop.makeCompletedFuture {
            if let options = channel.syncOptions {
                try options.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
                try options.setOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(
                    minimum: 64, initial: 2_048, maximum: Self.maximumReadBytes))
            }
            try channel.pipeline.syncOperations.addHandler(OpenSSLServerHandler(context: contexts.context))
            if let authenticator {
                try channel.pipeline.syncOperations.addHandler(CertificateRejectionHandler(authenticator: authenticator))
            }
            try channel.pipeline.syncOperations.addHandler(RequestTimeoutHandler(timeout: readTimeout))
            if let fastPath {
                try channel.pipeline.syncOperations.addHandler(HelmFastPathHandler(fastPath))
            }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapErrorThrowing { error in
            // The slot is released when the channel closes: close it, or the slot leaks.
            channel.close(promise: nil)
            throw error
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension OpenSSLChildChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

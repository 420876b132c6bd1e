import HummingbirdCore
import Logging
import NIOCore
import TLS

/// A Hummingbird child channel that puts our OpenSSL handler in front of the wrapped channel's
/// pipeline (HummingbirdTLS/NIOSSL is not used). The context is fetched per connection so a
/// SIGHUP reload applies to new connections only.
struct OpenSSLChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let contexts: TLSContextProvider
    /// When set, public index and chart GETs are answered from the decrypted bytes
    /// (`HelmFastPathHandler`), which then also owns the idle timeout: give the base channel none.
    let fastPath: HelmFastPathHandler.Dependencies?
    /// Receives handshakes refused on the client certificate, for the audit log.
    let authenticator: Authenticator?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(OpenSSLServerHandler(context: contexts.context))
            if let authenticator {
                try channel.pipeline.syncOperations.addHandler(CertificateRejectionHandler(authenticator: authenticator))
            }
            if let fastPath {
                try channel.pipeline.syncOperations.addHandler(HelmFastPathHandler(fastPath))
            }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension OpenSSLChildChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

import NIOCore
import TLS

/// Sits right after the TLS handler and reports handshakes that failed on the client
/// certificate, so they reach the audit log like any other authentication failure (aggregated
/// per address and minute by `CertificateRejectionAuditor`: no task, no write per handshake).
/// The error continues down the pipeline unchanged.
final class CertificateRejectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let authenticator: Authenticator

    init(authenticator: Authenticator) {
        self.authenticator = authenticator
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? TLSError, error.code == .clientCertificateRejected {
            let client = context.channel.remoteAddress.map { AddressGroup($0).description } ?? "unknown"
            authenticator.recordCertificateRejection(client: client,
                                                     reason: error.message)
        }
        context.fireErrorCaught(error)
    }
}

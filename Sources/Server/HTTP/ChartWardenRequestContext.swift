import Hummingbird
import NIOCore
import TLS

/// Per-request context: Hummingbird's core storage plus the connection, so handlers can learn
/// the client certificate the TLS layer verified.
public struct ChartWardenRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// Echoed from `X-Request-Id` or generated; set by `RequestIDMiddleware`.
    public var requestID = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The verified client certificate of this connection, read from the TLS handler on its event
    /// loop; nil on the plaintext listener or when no certificate was sent.
    public func peerIdentity() async -> PeerIdentity? {
        let channel = self.channel
        return try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: OpenSSLServerHandler.self).peerIdentity
        }.get()
    }
}

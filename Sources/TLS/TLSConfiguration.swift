/// Server-side TLS settings. Protocol versions and cipher suites are not configurable: the
/// policy (TLS 1.2+ with ECDHE and AEAD only) is fixed in `TLSContext`.
public struct TLSConfiguration: Sendable, Equatable {
    public enum ClientAuthentication: String, Sendable, CaseIterable {
        /// No certificate is requested.
        case none
        /// A certificate is requested; when sent it must verify against `clientCAPath`.
        case optional
        /// The handshake fails without a certificate that verifies against `clientCAPath`.
        case required
    }

    /// PEM certificate chain, leaf first.
    public var certificateChainPath: String
    public var privateKeyPath: String
    /// PEM bundle of CAs that client certificates must chain to.
    public var clientCAPath: String?
    public var clientAuthentication: ClientAuthentication
    /// A connection that has not finished its handshake by then is dropped.
    public var handshakeTimeout: Duration

    public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil,
                clientAuthentication: ClientAuthentication = .none, handshakeTimeout: Duration = .seconds(10)) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.clientAuthentication = clientAuthentication
        self.handshakeTimeout = handshakeTimeout
    }
}

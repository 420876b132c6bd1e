/// A TLS failure with OpenSSL's error queue drained into `message`, so logs say what went wrong
/// (bad certificate, protocol version, cipher mismatch) instead of a bare return code.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The configuration (certificate, key, CA bundle) could not be loaded.
        case configuration
        /// The handshake failed: protocol, cipher, certificate verification, or garbage input.
        case handshakeFailed
        /// The handshake failed because the client certificate did not verify (unknown CA,
        /// expired, ...) or was missing where one is required.
        case clientCertificateRejected
        /// The handshake did not finish within the configured time.
        case handshakeTimeout
        /// A record could not be decrypted or the peer sent a fatal alert after the handshake.
        case protocolFailure
        /// The peer closed TCP without sending close_notify (a possible truncation attack).
        case uncleanShutdown
        /// A write was attempted after the connection started closing.
        case connectionClosing
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

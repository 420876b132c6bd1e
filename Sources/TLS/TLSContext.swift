import COpenSSL
import CShims

/// One `SSL_CTX` built at start (and again on reload) with ChartWarden's fixed policy.
///
/// Owns the context pointer. `SSL_CTX` is safe to share across threads once configured, and each
/// `SSL` holds its own reference, so connections opened before a reload keep the old one alive.
public final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    public let configuration: TLSConfiguration

    public init(configuration: TLSConfiguration) throws(TLSError) {
        OPENSSL_init_ssl(0, nil)
        OpenSSLErrorQueue.clear()
        guard let pointer = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(.configuration, OpenSSLErrorQueue.drain(fallback: "SSL_CTX_new failed"))
        }
        self.pointer = pointer
        self.configuration = configuration

        guard cw_ssl_ctx_apply_server_policy(pointer) == 1 else {
            throw TLSError(.configuration, "cannot apply TLS policy: " + OpenSSLErrorQueue.drain(fallback: "unknown error"))
        }
        cw_ssl_ctx_enable_alpn_http11(pointer)
        guard SSL_CTX_use_certificate_chain_file(pointer, configuration.certificateChainPath) == 1 else {
            throw TLSError(.configuration, "cannot load certificate chain \(configuration.certificateChainPath): "
                + OpenSSLErrorQueue.drain(fallback: "unreadable"))
        }
        guard SSL_CTX_use_PrivateKey_file(pointer, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError(.configuration, "cannot load private key \(configuration.privateKeyPath): "
                + OpenSSLErrorQueue.drain(fallback: "unreadable"))
        }
        guard SSL_CTX_check_private_key(pointer) == 1 else {
            throw TLSError(.configuration, "private key \(configuration.privateKeyPath) does not match the certificate")
        }
        switch configuration.clientAuthentication {
        case .none:
            SSL_CTX_set_verify(pointer, SSL_VERIFY_NONE, nil)
        case .optional, .required:
            guard let caPath = configuration.clientCAPath else {
                throw TLSError(.configuration, "clientAuth \(configuration.clientAuthentication.rawValue) needs a clientCA bundle")
            }
            guard SSL_CTX_load_verify_locations(pointer, caPath, nil) == 1 else {
                throw TLSError(.configuration, "cannot load client CA bundle \(caPath): " + OpenSSLErrorQueue.drain(fallback: "unreadable"))
            }
            if let names = SSL_load_client_CA_file(caPath) {
                SSL_CTX_set_client_CA_list(pointer, names)
            }
            var mode = SSL_VERIFY_PEER
            if configuration.clientAuthentication == .required { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
            SSL_CTX_set_verify(pointer, mode, nil)
        }
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    func makeConnection() throws(TLSError) -> TLSConnection {
        try TLSConnection(context: self)
    }
}

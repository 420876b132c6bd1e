import COpenSSL
import NIOCore

/// A TLS client on OpenSSL over memory BIOs, to drive `OpenSSLServerHandler` inside an
/// `EmbeddedChannel` without sockets: ciphertext goes back and forth through ByteBuffers.
final class MemoryTLSClient {
    let ssl: OpaquePointer
    let context: OpaquePointer
    let input: OpaquePointer
    let output: OpaquePointer

    init(caPath: String, certificate: (String, String)? = nil, maxVersion: Int32 = TLS1_3_VERSION,
         cipherList: String? = nil) {
        context = SSL_CTX_new(TLS_client_method())!
        SSL_CTX_load_verify_locations(context, caPath, nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(maxVersion), nil)
        if let cipherList { SSL_CTX_set_cipher_list(context, cipherList) }
        if let (cert, key) = certificate {
            SSL_CTX_use_certificate_chain_file(context, cert)
            SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM)
        }
        ssl = SSL_new(context)!
        input = BIO_new(BIO_s_mem())!
        output = BIO_new(BIO_s_mem())!
        SSL_set_bio(ssl, input, output)
        SSL_set_connect_state(ssl)
        var protocols: [UInt8] = [8] + Array("http/1.1".utf8)
        SSL_set_alpn_protos(ssl, &protocols, UInt32(protocols.count))
        "localhost".withCString { name in
            _ = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Advances the handshake; true once complete.
    @discardableResult
    func handshake() -> Bool { SSL_do_handshake(ssl) == 1 }

    var handshakeFailed: Bool {
        let result = SSL_do_handshake(ssl)
        return result <= 0 && SSL_get_error(ssl, result) != SSL_ERROR_WANT_READ
    }

    func receive(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in _ = BIO_write(input, bytes.baseAddress, Int32(bytes.count)) }
    }

    func takeCiphertext() -> ByteBuffer? {
        let pending = Int(BIO_ctrl_pending(output))
        guard pending > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: pending)
        BIO_read(output, &bytes, Int32(pending))
        return ByteBuffer(bytes: bytes)
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        SSL_write(ssl, &bytes, Int32(bytes.count))
    }

    func write(_ bytes: [UInt8]) {
        let total = bytes.count
        var offset = 0
        while offset < total {
            let written = bytes.withUnsafeBytes { buffer in
                SSL_write(ssl, buffer.baseAddress! + offset, Int32(total - offset))
            }
            guard written > 0 else { return }
            offset += Int(written)
        }
    }

    /// All plaintext available, and whether close_notify was seen.
    func read() -> (bytes: [UInt8], closeNotify: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = SSL_read(ssl, &buffer, Int32(buffer.count))
            if count > 0 {
                result += buffer.prefix(Int(count))
                continue
            }
            return (result, SSL_get_error(ssl, count) == SSL_ERROR_ZERO_RETURN)
        }
    }

    func closeNotify() { SSL_shutdown(ssl) }

    var alpn: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    var version: String { String(cString: SSL_get_version(ssl)) }
}

import COpenSSL
import CShims
import NIOCore

/// One server-side `SSL` between two BIOs: ciphertext from the network is written into the memory
/// BIO `networkToTLS`; ciphertext for the network collects in `tlsToNetwork`'s buffer
/// (`CiphertextOutput`). No I/O happens here; the channel handler moves the bytes. Owns the `SSL`
/// (which owns both BIOs) and the output buffer.
final class TLSConnection {
    private let ssl: OpaquePointer
    private let networkToTLS: OpaquePointer
    private let tlsToNetwork: CiphertextOutput
    /// Kept alive for the lifetime of the connection (the SSL also holds a reference).
    private let context: TLSContext

    /// Largest plaintext handed to one `SSL_write`: one TLS record's worth keeps the output BIO small.
    static let writeChunk = 16_384 * 4

    init(context: TLSContext) throws(TLSError) {
        self.context = context
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSError(.configuration, OpenSSLErrorQueue.drain(fallback: "SSL_new failed"))
        }
        let output = CiphertextOutput()
        guard let input = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError(.configuration, "cannot allocate a memory BIO")
        }
        guard let outputBIO = CiphertextOutput.makeBIO(writingTo: output) else {
            BIO_free(input)
            SSL_free(ssl)
            throw TLSError(.configuration, "cannot allocate the output BIO")
        }
        SSL_set_bio(ssl, input, outputBIO)
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.networkToTLS = input
        self.tlsToNetwork = output
    }

    deinit {
        // Frees the output BIO, which points at `tlsToNetwork`, before that is released.
        SSL_free(ssl)
    }

    /// Hands ciphertext from the network to OpenSSL.
    func receive(_ ciphertext: ByteBuffer) {
        ciphertext.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            // A memory BIO grows as needed: the write always takes every byte.
            _ = BIO_write(networkToTLS, base, Int32(bytes.count))
        }
    }

    func handshake() -> TLSStateMachine.HandshakeOutcome {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .complete }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantsMoreData
        default:
            var (message, reasons) = OpenSSLErrorQueue.drainWithReasons(fallback: "handshake failed")
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
                message += " (certificate verification: \(String(cString: text)))"
            }
            // A client certificate that failed verification, or none where one is required, is an
            // authentication failure (audited), not just a broken handshake.
            let rejectedClient = verify != X509_V_OK || reasons.contains(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
            return .failed(TLSError(rejectedClient ? .clientCertificateRejected : .handshakeFailed, message))
        }
    }

    /// Decrypts as much as is available into `buffer`, allocating it (sized by what is pending)
    /// when it is nil.
    func readPlaintext(into buffer: inout ByteBuffer?, allocator: ByteBufferAllocator) -> TLSStateMachine.ReadOutcome {
        while true {
            OpenSSLErrorQueue.clear()
            var status: Int32 = 0
            // Plaintext is never larger than the ciphertext it came from: size the space by what
            // is pending instead of a full record, so small requests do not allocate 16 KiB.
            let wanted = min(16_384, max(512, Int(BIO_ctrl_pending(networkToTLS)) + Int(SSL_pending(ssl))))
            if buffer == nil { buffer = allocator.buffer(capacity: wanted) }
            let read = buffer!.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { space in
                status = SSL_read(ssl, space.baseAddress, Int32(clamping: space.count))
                return status > 0 ? Int(status) : 0
            }
            if read > 0 { continue }
            switch SSL_get_error(ssl, status) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return .wantsMoreData
            case SSL_ERROR_ZERO_RETURN:
                return .closeNotify
            default:
                return .failed(TLSError(.protocolFailure, OpenSSLErrorQueue.drain(fallback: "TLS read failed")))
            }
        }
    }

    /// Encrypts all of `plaintext`, chunk by chunk, calling `emit` whenever the output BIO holds
    /// enough ciphertext to be worth a socket write. Partial `SSL_write` results are resumed.
    func write(_ plaintext: ByteBuffer, emit: (ByteBuffer) -> Void) -> TLSError? {
        var remaining = plaintext
        while remaining.readableBytes > 0 {
            OpenSSLErrorQueue.clear()
            let chunk = min(remaining.readableBytes, Self.writeChunk)
            tlsToNetwork.reserve(forPlaintext: chunk)
            let written = remaining.withUnsafeReadableBytes { bytes in
                SSL_write(ssl, bytes.baseAddress, Int32(chunk))
            }
            if written > 0 {
                remaining.moveReaderIndex(forwardBy: Int(written))
            } else {
                switch SSL_get_error(ssl, written) {
                case SSL_ERROR_WANT_WRITE, SSL_ERROR_WANT_READ:
                    // Cannot happen: the output BIO takes every byte. A stall rather than a spin.
                    return TLSError(.protocolFailure, "TLS write stalled")
                default:
                    return TLSError(.protocolFailure, OpenSSLErrorQueue.drain(fallback: "TLS write failed"))
                }
            }
            if pendingCiphertext >= 256 * 1024, let ciphertext = takeCiphertext() {
                emit(ciphertext)
            }
        }
        return nil
    }

    /// Queues close_notify in the output BIO.
    func sendCloseNotify() {
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
    }

    var pendingCiphertext: Int { tlsToNetwork.pendingBytes }

    /// Everything OpenSSL produced for the network since the last call, or nil.
    func takeCiphertext() -> ByteBuffer? {
        tlsToNetwork.take()
    }

    /// The protocol chosen by ALPN, if any.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    var cipherName: String {
        guard let cipher = SSL_get_current_cipher(ssl) else { return "" }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }

    /// The client's certificate, only when OpenSSL verified it against the configured CA. Throws
    /// when its names cannot be read exactly (`PeerIdentity.init(certificate:)`).
    func verifiedPeerIdentity() throws(TLSError) -> PeerIdentity? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        guard SSL_get_verify_result(ssl) == X509_V_OK else { return nil }
        return try PeerIdentity(certificate: certificate)
    }
}

extension PeerIdentity {
    /// The names of a verified certificate, each decoded by its ASN.1 string type and whole
    /// (`CertificateString`). A name that cannot be read exactly refuses the certificate: it
    /// would otherwise become a principal that is not what the CA signed.
    init(certificate: OpaquePointer) throws(TLSError) {
        func refuse(_ what: String) -> TLSError {
            TLSError(.clientCertificateRejected, "the client certificate's \(what); it cannot name a principal")
        }
        func text(_ data: UnsafePointer<UInt8>?, _ length: Int32, type: Int32, _ field: String) throws(TLSError) -> String {
            let bytes = data.map { UnsafeBufferPointer(start: $0, count: Int(max(length, 0))) }
                ?? UnsafeBufferPointer(start: nil, count: 0)
            switch CertificateString.decode(type: type, bytes) {
            case .success(let text): return text
            case .failure(let problem): throw refuse("\(field) \(problem)")
            }
        }

        var commonName: String?
        if let subject = X509_get_subject_name(certificate) {
            let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
            if index >= 0, let entry = X509_NAME_get_entry(subject, index), let data = X509_NAME_ENTRY_get_data(entry) {
                guard X509_NAME_get_index_by_NID(subject, NID_commonName, index) < 0 else {
                    throw refuse("subject has more than one common name")
                }
                commonName = try text(ASN1_STRING_get0_data(data), ASN1_STRING_length(data), type: ASN1_STRING_type(data),
                                      "common name")
            }
        }
        var dnsNames: [String] = []
        var uris: [String] = []
        var emails: [String] = []
        var status: Int32 = 0
        if let names = cw_x509_subject_alt_names(certificate, &status) {
            defer { cw_general_names_free(names) }
            for index in 0..<max(cw_general_names_count(names), 0) {
                var data: UnsafePointer<UInt8>?
                var length: Int32 = 0
                var type: Int32 = 0
                switch cw_general_name(names, index, &data, &length, &type) {
                case GEN_DNS: dnsNames.append(try text(data, length, type: type, "DNS name"))
                case GEN_URI: uris.append(try text(data, length, type: type, "URI"))
                case GEN_EMAIL: emails.append(try text(data, length, type: type, "email address"))
                default: break
                }
            }
        } else if status != -1 {
            throw refuse(status == -2 ? "subject alternative names appear twice" : "subject alternative names do not decode")
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        X509_digest(certificate, EVP_sha256(), &digest, &digestLength)
        let hex = digest.prefix(Int(digestLength)).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        self.init(commonName: commonName, dnsNames: dnsNames, uris: uris, emailAddresses: emails, fingerprintSHA256: hex)
    }
}

import COpenSSL
import Testing
@testable import TLS

/// The names of a client certificate become principals: each is decoded by its ASN.1 type and
/// whole, and a certificate whose names do not decode exactly is refused.
@Suite("Certificate names")
struct CertificateNameTests {
    static func utf16BE(_ text: String) -> [UInt8] { text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
    static func utf32BE(_ text: String) -> [UInt8] {
        text.unicodeScalars.flatMap { scalar in (0..<4).reversed().map { UInt8((scalar.value >> ($0 * 8)) & 0xFF) } }
    }

    @Test func everyStringTypeDecodesToItsText() {
        #expect(CertificateString.decode(type: V_ASN1_UTF8STRING, Array("rené".utf8)) == .success("rené"))
        #expect(CertificateString.decode(type: V_ASN1_BMPSTRING, Self.utf16BE("rené")) == .success("rené"))
        #expect(CertificateString.decode(type: V_ASN1_UNIVERSALSTRING, Self.utf32BE("ci-😀")) == .success("ci-😀"))
        #expect(CertificateString.decode(type: V_ASN1_PRINTABLESTRING, Array("ci pusher".utf8)) == .success("ci pusher"))
        #expect(CertificateString.decode(type: V_ASN1_IA5STRING, Array("a@b.test".utf8)) == .success("a@b.test"))
        #expect(CertificateString.decode(type: V_ASN1_T61STRING, Array("reader".utf8)) == .success("reader"))
    }

    @Test func whatDoesNotDecodeExactlyIsRefused() {
        let refused: [(Int32, [UInt8])] = [
            (V_ASN1_UTF8STRING, [0x72, 0xC3]),                   // truncated UTF-8
            (V_ASN1_UTF8STRING, [0xC0, 0xAE]),                   // overlong encoding
            (V_ASN1_UTF8STRING, Array("admin\0.evil".utf8)),     // embedded NUL
            (V_ASN1_UTF8STRING, Array("admin\n".utf8)),          // control character
            (V_ASN1_BMPSTRING, [0x00, 0x61, 0x00]),              // odd length
            (V_ASN1_BMPSTRING, [0xD8, 0x3D, 0xDE, 0x00]),        // a surrogate pair is not UCS-2
            (V_ASN1_UNIVERSALSTRING, [0, 0, 0, 0x61, 0]),        // not a multiple of 4
            (V_ASN1_UNIVERSALSTRING, [0, 0x11, 0, 0]),           // beyond U+10FFFF
            (V_ASN1_T61STRING, [0x72, 0xC2, 0x65]),              // T.61 beyond ASCII
            (V_ASN1_PRINTABLESTRING, [0x61, 0xE9]),
            (V_ASN1_OCTET_STRING, Array("reader".utf8)),         // not a string type
        ]
        for (type, bytes) in refused {
            guard case .failure = CertificateString.decode(type: type, bytes) else {
                Issue.record("type \(type) \(bytes) was decoded")
                continue
            }
        }
    }

    @Test func aBMPStringCommonNameIsReadAsUCS2() throws {
        // Read as UTF-8 before, "reader" in UCS-2 became "\0r\0e\0a\0d\0e\0r".
        let certificate = try TestCertificate(commonNameType: V_ASN1_BMPSTRING, commonName: Self.utf16BE("reader"))
        #expect(try PeerIdentity(certificate: certificate.certificate).commonName == "reader")
    }

    @Test func aUniversalStringCommonNameIsReadAsUCS4() throws {
        let certificate = try TestCertificate(commonNameType: V_ASN1_UNIVERSALSTRING, commonName: Self.utf32BE("réader"))
        #expect(try PeerIdentity(certificate: certificate.certificate).commonName == "réader")
    }

    // OpenSSL itself refuses to parse a name with invalid UTF-8 or an odd-length BMPString (it
    // canonicalises names through UTF-8), so these are the undecodable names a certificate can carry.
    @Test(arguments: [
        (V_ASN1_UTF8STRING, Array("admin\0.example".utf8), "is a UTF8String holding a control character"),
        (V_ASN1_BMPSTRING, [0x00, 0x72, 0x00, 0x00] as [UInt8], "is a BMPString holding a control character"),
        (V_ASN1_T61STRING, [0x72, 0xE9, 0x61], "is not a valid TeletexString"),
    ])
    func anUndecodableCommonNameRefusesTheCertificate(type: Int32, name: [UInt8], reason: String) throws {
        let certificate = try TestCertificate(commonNameType: type, commonName: name)
        #expect {
            try PeerIdentity(certificate: certificate.certificate)
        } throws: { error in
            guard let error = error as? TLSError else { return false }
            return error.code == .clientCertificateRejected && error.message.contains("common name")
                && error.message.contains(reason)
        }
    }

    @Test func subjectAlternativeNamesAreReadWhole() throws {
        // Cut at 1,024 bytes before: two names sharing a 1,024-byte prefix became the same principal.
        let long = String(repeating: "a", count: 1_100) + ".clients.test"
        let certificate = try TestCertificate(commonName: Array("reader".utf8),
                                              subjectAltNames: "DNS:\(long),URI:spiffe://test/\(long),email:x@\(long)")
        let identity = try PeerIdentity(certificate: certificate.certificate)
        #expect(identity.dnsNames == [long])
        #expect(identity.uris == ["spiffe://test/" + long])
        #expect(identity.emailAddresses == ["x@" + long])
    }

    @Test func aHandshakeWithAnUndecodableCommonNameIsRefusedAndReported() throws {
        let tests = OpenSSLServerHandlerTests()
        let certificate = try TestCertificate(commonName: Array("admin\0.example".utf8))
        let (channel, handler) = try tests.makeChannel(clientAuth: .required)
        let client = MemoryTLSClient(caPath: TestCertificate.tls + "/ca.crt",
                                     certificate: (certificate.certificatePath, certificate.keyPath))
        #expect {
            try tests.pump(channel, client)
            client.write("x")
            try tests.pump(channel, client)
        } throws: { error in
            (error as? TLSError)?.code == .clientCertificateRejected
                && (error as? TLSError)?.message.contains("common name is a UTF8String holding a control character") == true
        }
        #expect(handler.state == .closed)
        #expect(handler.peerIdentity == nil)
    }
}

import COpenSSL
import Foundation

/// A client certificate made in the test, signed by the test CA (keys-test/tls), with a common
/// name of any ASN.1 string type and raw bytes (OpenSSL stores them unchecked when given a
/// `V_ASN1_*` type), for names no CA tool would write.
final class TestCertificate {
    let certificate: OpaquePointer
    let certificatePath: String
    let keyPath: String

    static let tls = TLSContextTests.tlsDirectory

    init(commonNameType: Int32 = V_ASN1_UTF8STRING, commonName: [UInt8], subjectAltNames: String? = nil) throws {
        let caCertificate = try Self.read(Self.tls + "/ca.crt") { PEM_read_bio_X509($0, nil, nil, nil) }
        defer { X509_free(caCertificate) }
        let caKey = try Self.read(Self.tls + "/ca.key") { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        defer { EVP_PKEY_free(caKey) }
        keyPath = Self.tls + "/client-reader.key"
        let key = try Self.read(keyPath) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        defer { EVP_PKEY_free(key) }

        certificate = X509_new()!
        X509_set_version(certificate, 2)
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), Int.random(in: 1...Int(Int32.max)))
        X509_gmtime_adj(X509_getm_notBefore(certificate), -3_600)
        X509_gmtime_adj(X509_getm_notAfter(certificate), 3_600)
        X509_set_pubkey(certificate, key)
        let name = X509_NAME_new()!
        defer { X509_NAME_free(name) }
        X509_NAME_add_entry_by_NID(name, NID_commonName, commonNameType, commonName, Int32(commonName.count), -1, 0)
        X509_set_subject_name(certificate, name)
        X509_set_issuer_name(certificate, X509_get_subject_name(caCertificate))
        if let subjectAltNames, let extensionValue = X509V3_EXT_conf_nid(nil, nil, NID_subject_alt_name, subjectAltNames) {
            X509_add_ext(certificate, extensionValue, -1)
            X509_EXTENSION_free(extensionValue)
        }
        guard X509_sign(certificate, caKey, EVP_sha256()) > 0 else { throw Failure("X509_sign failed") }

        certificatePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("chartwarden-test-\(UUID().uuidString).crt").path
        guard let output = BIO_new_file(certificatePath, "w") else { throw Failure("cannot write \(certificatePath)") }
        PEM_write_bio_X509(output, certificate)
        BIO_free(output)
    }

    deinit {
        X509_free(certificate)
        try? FileManager.default.removeItem(atPath: certificatePath)
    }

    private static func read<T>(_ path: String, _ body: (OpaquePointer) -> T?) throws -> T {
        guard let input = BIO_new_file(path, "r") else { throw Failure("cannot read \(path)") }
        defer { BIO_free(input) }
        guard let value = body(input) else { throw Failure("cannot parse \(path)") }
        return value
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// The names a verified client certificate carries, as the access policy reads them. The TLS
/// layer fills it from the peer certificate; the core never sees the certificate itself.
public struct CertificateNames: Sendable, Equatable {
    public var commonName: String?
    public var dnsNames: [String]
    public var uris: [String]
    public var emailAddresses: [String]

    public init(commonName: String?, dnsNames: [String] = [], uris: [String] = [], emailAddresses: [String] = []) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.uris = uris
        self.emailAddresses = emailAddresses
    }
}

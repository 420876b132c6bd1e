/// What the TLS layer proved about the client: the fields of its verified certificate that
/// authorization can map to a principal. Present only when the chain verified against the
/// configured client CA.
public struct PeerIdentity: Sendable, Equatable, Hashable {
    public var commonName: String?
    public var dnsNames: [String]
    public var uris: [String]
    public var emailAddresses: [String]
    /// SHA-256 of the DER certificate, lowercase hex.
    public var fingerprintSHA256: String

    public init(commonName: String?, dnsNames: [String] = [], uris: [String] = [], emailAddresses: [String] = [],
                fingerprintSHA256: String) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.uris = uris
        self.emailAddresses = emailAddresses
        self.fingerprintSHA256 = fingerprintSHA256
    }
}

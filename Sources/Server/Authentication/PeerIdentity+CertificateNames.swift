import ChartWardenCore
import TLS

extension PeerIdentity {
    /// What the access policy reads of a verified client certificate.
    var certificateNames: CertificateNames {
        CertificateNames(commonName: commonName, dnsNames: dnsNames, uris: uris, emailAddresses: emailAddresses)
    }
}

extension AccessPolicy {
    func principals(for identity: PeerIdentity?, user: String? = nil) -> Set<Principal> {
        principals(for: identity?.certificateNames, user: user)
    }
}

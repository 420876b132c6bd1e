import OpenSSLSupport

/// `sha256:<hex>` as OCI writes digests. Only sha256 with lowercase hex is accepted: the blob
/// store is keyed by SHA-256, and one spelling per digest keeps lookups exact.
package enum OCIDigest {
    package static func parse(_ text: String) -> SHA256Digest? {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = text.dropFirst(7)
        guard hex.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            return nil
        }
        return SHA256Digest(hex: String(hex))
    }

    package static func string(_ digest: SHA256Digest) -> String { "sha256:\(digest.hex)" }
}

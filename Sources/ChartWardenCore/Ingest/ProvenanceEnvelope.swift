import Provenance

/// The readable parts of a Helm `.prov` (a clear-signed message): enough to find which chart it
/// belongs to. Signature verification is not done here; it belongs to the provenance gate.
package struct ProvenanceEnvelope: Sendable, Equatable {
    package let name: String
    package let version: String
    /// The `files:` entries of the signed body (file name to `sha256:<hex>`); empty when that
    /// part does not read (the verifier then names the failed check).
    package let files: [String: String]

    private static let begin = "-----BEGIN PGP SIGNED MESSAGE-----"
    private static let signature = "-----BEGIN PGP SIGNATURE-----"

    /// Limits what a prov may be: a clear-signed text of reasonable size.
    package static let maxBytes = 1 << 20

    package init(name: String, version: String, files: [String: String] = [:]) {
        self.name = name
        self.version = version
        self.files = files
    }

    /// The digest the prov signs for `fileName`, when its body lists one.
    package func signedDigest(of fileName: String) -> String? { files[fileName] }

    package init(bytes: [UInt8]) throws(ServiceError) {
        guard bytes.count <= Self.maxBytes else {
            throw ServiceError(.payloadTooLarge, "provenance file is larger than \(Self.maxBytes) bytes")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ServiceError(.badRequest, "provenance file is not UTF-8 text")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard let start = lines.firstIndex(where: { $0 == Self.begin }) else {
            throw ServiceError(.badRequest, "provenance file is not an OpenPGP clear-signed message")
        }
        // Armor headers (Hash: ...) end at the first empty line.
        guard let headerEnd = lines[(start + 1)...].firstIndex(where: { $0.isEmpty }),
              let signatureStart = lines[headerEnd...].firstIndex(where: { $0 == Self.signature }) else {
            throw ServiceError(.badRequest, "provenance file has no signature block")
        }
        let body = lines[(headerEnd + 1)..<signatureStart]
        guard let separator = body.firstIndex(where: { $0 == "..." }) else {
            throw ServiceError(.badRequest, "provenance body lacks the '...' line separating Chart.yaml from files")
        }
        let chartYAML = body[body.startIndex..<separator].map { $0.hasPrefix("- -") ? String($0.dropFirst(2)) : String($0) }
            .joined(separator: "\n")
        do {
            (name, version) = try HelmProvenanceBody.chartIdentity(chartYAML: chartYAML)
        } catch {
            throw ServiceError(.badRequest, "provenance body does not name a chart and version: \(error.message)")
        }
        // Clear-signed text escapes lines starting with '-' as '- -'.
        let signedText = body.map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n")
        files = (try? HelmProvenanceBody(signedText: Array(signedText.utf8)))?.files ?? [:]
    }
}

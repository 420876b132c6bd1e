@testable import Provenance
@testable import ChartWardenCore

/// A `.prov` as uploaded: the clear-signed envelope check, the server's reading of the chart it
/// names, and the signed body (the whole input as signed text too, since GnuPG hands that over).
enum ProvenanceFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = ClearsignedEnvelope.problem(in: bytes)
        _ = try? ProvenanceEnvelope(bytes: bytes)
        _ = try? HelmProvenanceBody(signedText: bytes)
    }
}

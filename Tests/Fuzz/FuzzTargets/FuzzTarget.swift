/// Every fuzzer: its executable is `Fuzz<rawValue>` (Tests/Fuzz/<rawValue>), its seeds are in
/// Tests/Fuzz/Seeds/<rawValue> and the inputs of crashes it found in Tests/Fuzz/Regressions/<rawValue>.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case requestHead = "RequestHead"
    case manifestKinds = "ManifestKinds"
    case chartArchive = "ChartArchive"
    case provenance = "Provenance"
    case multipart = "Multipart"
    case configuration = "Configuration"
    case htpasswd = "Htpasswd"
    case untrustedYAML = "UntrustedYAML"
    case openPGPPackets = "OpenPGPPackets"
    case ociManifest = "OCIManifest"
    case jwtSegments = "JWTSegments"

    /// Runs the parsers this fuzzer covers on `bytes`. Refusals are expected; only a crash (or a
    /// broken invariant, checked with `precondition`) is a finding.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .requestHead: RequestHeadFuzz.run(bytes)
        case .manifestKinds: ManifestKindsFuzz.run(bytes)
        case .chartArchive: ChartArchiveFuzz.run(bytes)
        case .provenance: ProvenanceFuzz.run(bytes)
        case .multipart: MultipartFuzz.run(bytes)
        case .configuration: ConfigurationFuzz.run(bytes)
        case .htpasswd: HtpasswdFuzz.run(bytes)
        case .untrustedYAML: UntrustedYAMLFuzz.run(bytes)
        case .openPGPPackets: OpenPGPPacketsFuzz.run(bytes)
        case .ociManifest: OCIManifestFuzz.run(bytes)
        case .jwtSegments: JWTSegmentsFuzz.run(bytes)
        }
    }
}

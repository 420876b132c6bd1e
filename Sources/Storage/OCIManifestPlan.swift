import Foundation

/// The OCI manifest a publish stores with the version, in the version's transaction (README,
/// "OCI"), so no published version is ever without its tag: a client's manifest for an OCI push,
/// or the one generated for a ChartMuseum upload. Its config blob is made durable with the
/// chart's bytes and held against sweeps until the commit.
public struct OCIManifestPlan: Sendable {
    /// The config blob's bytes; nil: the version's stored metadata (`Chart.yaml` as JSON), which
    /// generated manifests use.
    public let config: [UInt8]?
    /// The manifest row for the version about to be stored (its id is not known yet).
    public let make: @Sendable (ChartVersionRecord) throws -> OCIManifestRecord

    public init(config: [UInt8]?, make: @escaping @Sendable (ChartVersionRecord) throws -> OCIManifestRecord) {
        self.config = config
        self.make = make
    }
}

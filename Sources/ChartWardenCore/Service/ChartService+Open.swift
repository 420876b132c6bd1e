import Metrics
import Foundation
import OpenPGP
import Storage

extension ChartService {
    /// Opens the configured data directory (SQLite, blobs, GnuPG home), creating it owner-only
    /// when missing, and registers the configured repositories. Reads neither TLS material nor the htpasswd file and binds nothing: `serve`
    /// and the offline commands (`keys`) share it.
    /// `metricsFactory` counts failed audit writes (the server's registry; none for the CLI).
    public static func open(configuration: ChartWardenConfiguration,
                            metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance) throws -> ChartService {
        let dataDirectory = configuration.storage.dataDirectory
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let metadata = try SQLiteMetadataStore(path: dataDirectory + "/chartwarden.sqlite")
        // Trust rows name their repository: a fresh data directory knows the configured ones at once.
        for repository in configuration.repositories { try metadata.ensureRepository(repository.name) }
        let blobs = try FileBlobStore(root: dataDirectory + "/blobs")
        let keyring = try OpenPGPKeyring(homeDirectory: dataDirectory + "/gnupg")
        return ChartService(configuration: configuration, metadata: metadata, blobs: blobs,
                            trust: TrustStore(keyring: keyring, metadata: metadata), metricsFactory: metricsFactory)
    }
}

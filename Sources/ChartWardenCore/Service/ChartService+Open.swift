import Metrics
import Foundation
import OpenPGP
import PostgresStorage
import Storage

extension ChartService {
    /// Opens the configured data directory (SQLite, blobs, GnuPG home), creating it owner-only
    /// when missing, and registers the configured repositories. Reads neither TLS material nor the htpasswd file and binds nothing: `serve`
    /// and the offline commands (`keys`) share it.
    /// With `storage.postgres`, metadata, trust and bytes are in PostgreSQL (migrated at once,
    /// under its advisory lock) and the GnuPG home under the data directory is rebuilt from the
    /// keys stored there; an unreachable database is an error naming its URL.
    /// `metricsFactory` counts failed audit writes (the server's registry; none for the CLI).
    public static func open(configuration: ChartWardenConfiguration,
                            metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance) throws -> ChartService {
        let dataDirectory = configuration.storage.dataDirectory
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let metadata: any MetadataStore
        let blobs: any BlobStore
        var changeListener: PostgresChangeListener?
        if let postgres = configuration.storage.postgres {
            let database = try PostgresPool(url: postgres.url, password: try postgres.password())
            metadata = try PostgresMetadataStore(database: database)
            blobs = PostgresBlobStore(database: database)
            changeListener = PostgresChangeListener(pool: database)
        } else {
            metadata = try SQLiteMetadataStore(path: dataDirectory + "/chartwarden.sqlite")
            blobs = try FileBlobStore(root: dataDirectory + "/blobs")
        }
        // Trust rows name their repository: a fresh data directory knows the configured ones at once.
        for repository in configuration.repositories { try metadata.ensureRepository(repository.name) }
        let keyring = try OpenPGPKeyring(homeDirectory: dataDirectory + "/gnupg")
        let trust = TrustStore(keyring: keyring, metadata: metadata, keysInStore: configuration.storage.postgres != nil)
        try trust.restoreKeys()
        return ChartService(configuration: configuration, metadata: metadata, blobs: blobs,
                            trust: trust, metricsFactory: metricsFactory, changeListener: changeListener)
    }
}

extension ChartWardenConfiguration.Postgres {
    /// The password: `passwordFile` (its trailing newline dropped), else the
    /// CHARTWARDEN_POSTGRES_PASSWORD environment variable, else none (the URL's own, if any).
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> String? {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw ConfigurationError(key: "storage.postgres.passwordFile", "cannot read \(passwordFile)")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        }
        return environment["CHARTWARDEN_POSTGRES_PASSWORD"]
    }
}

import ArgumentParser
import ChartWardenCore
import Foundation
import OpenPGP
import OpenSSLSupport
import PostgresStorage
import Storage

/// `chartwarden migrate --to postgresql://…`: copies the embedded install of a configuration
/// (its `dataDir`: SQLite, blob files, GnuPG keys) into PostgreSQL — charts and their statuses
/// (quarantine included), provs, verdicts, signers, trust, revocations, the keys themselves and
/// the audit log. Bytes are copied before rows, as a publish stores them; the rows in one
/// transaction. Idempotent: a second run copies nothing twice. Prints what it copied per kind.
/// Run it with the server stopped, then point `storage.postgres` at the database.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the configured embedded install (SQLite, blobs, keys) into PostgreSQL."
    )

    @Option(help: "Configuration file whose storage.dataDir is copied (default: $CHARTWARDEN_CONFIG, else config/chartwarden.yaml).")
    var config: String?

    @Option(help: "The target database, postgresql://USER@HOST:PORT/DATABASE.")
    var to: String

    @Option(help: "File holding the database password (else CHARTWARDEN_POSTGRES_PASSWORD, else the URL's own).")
    var passwordFile: String?

    func run() throws {
        let path = ConfigurationPath.resolve(config)
        let dataDirectory: String
        let target: ChartWardenConfiguration.Postgres
        do {
            dataDirectory = try ChartWardenConfiguration.load(path: path).storage.dataDirectory
            target = ChartWardenConfiguration.Postgres(url: try PostgresURL(to), passwordFile: passwordFile)
        } catch {
            throw ValidationError("\(path): \(error)")
        }
        let sqlitePath = dataDirectory + "/chartwarden.sqlite"
        guard FileManager.default.fileExists(atPath: sqlitePath) else {
            throw ValidationError("\(sqlitePath) does not exist: nothing to migrate")
        }
        let source = try SQLiteMetadataStore(path: sqlitePath)
        let sourceBlobs = try FileBlobStore(root: dataDirectory + "/blobs")
        let keyring = try OpenPGPKeyring(homeDirectory: dataDirectory + "/gnupg")
        let pool = try PostgresPool(url: target.url, password: try target.password())
        let metadata = try PostgresMetadataStore(database: pool)
        let blobs = PostgresBlobStore(database: pool)

        let export = try source.exportAll()
        var blobCount = ImportCount(kind: "blobs")
        // Charts and provs, and the config blobs of OCI manifests (uploads awaiting a manifest are not moved).
        let digests = Set(export.charts.flatMap { [$0.digest, $0.provenanceDigest].compactMap { $0 } }
            + export.ociManifests.map(\.configDigest)).sorted()
        for hex in digests {
            guard let digest = SHA256Digest(hex: hex) else { throw ValidationError("malformed digest \(hex) in \(sqlitePath)") }
            if blobs.contains(digest) {
                blobCount.present += 1
            } else {
                _ = try blobs.write(try sourceBlobs.read(digest))
                blobCount.copied += 1
            }
        }
        var keyCount = ImportCount(kind: "keys")
        let storedKeys = Dictionary(try metadata.signerKeys().map { ($0.fingerprint, $0.armored) }, uniquingKeysWith: { a, _ in a })
        for key in try keyring.keys() {
            let armored = try keyring.exportArmored(key.fingerprint)
            if storedKeys[key.fingerprint] == armored {
                keyCount.present += 1
            } else {
                try metadata.storeSignerKey(SignerKeyRecord(fingerprint: key.fingerprint, armored: armored))
                keyCount.copied += 1
            }
        }
        let counts = [blobCount, keyCount] + (try metadata.importAll(export))
        print("migrated \(dataDirectory) to \(target.url):")
        for count in counts {
            print("  \(count.kind): \(count.copied) copied, \(count.present) already there")
        }
    }
}

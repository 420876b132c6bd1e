import NIOCore
import OpenSSLSupport
import PostgresNIO
import Storage

/// Chart and prov bytes in PostgreSQL (`bytea`), content-addressed by SHA-256: storing the same
/// bytes twice keeps one row. Charts are bounded by `server.maxUploadBytes`, so a blob is one
/// value, written in one statement: after a crash it is either there whole or absent. Every
/// replica reads the same bytes; each keeps its own `BlobCache` in memory.
public final class PostgresBlobStore: BlobStore {
    public let database: PostgresPool

    /// The schema is the metadata store's (`PostgresMigrations`): open that one first.
    public init(database: PostgresPool) {
        self.database = database
    }

    public func write(_ bytes: [UInt8]) throws(StorageError) -> SHA256Digest {
        let digest = SHA256Hasher.hash(bytes)
        try store(bytes, digest: digest)
        return digest
    }

    func store(_ bytes: [UInt8], digest: SHA256Digest) throws(StorageError) {
        try database.withConnection { session throws(StorageError) in
            try session.execute("""
                INSERT INTO blobs (digest, size, bytes) VALUES (\(digest.hex), \(Int64(bytes.count)), \(ByteBuffer(bytes: bytes)))
                ON CONFLICT (digest) DO NOTHING
                """)
        }
    }

    public func beginWrite() throws(StorageError) -> any BlobWriter {
        PostgresBlobWriter(store: self)
    }

    public func read(_ digest: SHA256Digest) throws(StorageError) -> [UInt8] {
        let row = try database.withConnection { session throws(StorageError) in
            try session.query("SELECT bytes FROM blobs WHERE digest = \(digest.hex)").first
        }
        guard let row else { throw StorageError(.notFound, "blob \(digest.hex) is not stored") }
        var buffer = try PostgresRows.decode(row, ByteBuffer.self)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    public func contains(_ digest: SHA256Digest) -> Bool {
        (try? size(of: digest)) != nil
    }

    public func size(of digest: SHA256Digest) throws(StorageError) -> Int64 {
        let row = try database.withConnection { session throws(StorageError) in
            try session.query("SELECT size FROM blobs WHERE digest = \(digest.hex)").first
        }
        guard let row else { throw StorageError(.notFound, "blob \(digest.hex) is not stored") }
        return try PostgresRows.decode(row, Int64.self)
    }

    /// Deletes the blob unless a row references it (`PostgresMetadataStore.isReferenced`). Other replicas publish without this
    /// process's `InFlightBlobs`: a writer holds the blob's advisory lock shared until its row
    /// commits (`PostgresMetadataStore.holdBlobs`), and the delete takes it exclusively and
    /// checks references in a statement that starts after, so it never removes bytes a row
    /// committed, or is committing, uses.
    public func delete(_ digest: SHA256Digest) throws(StorageError) {
        let deleted = try database.transaction { session throws(StorageError) in
            try session.execute("SELECT pg_advisory_xact_lock(\(PostgresMetadataStore.blobLockSpace), hashtext(\(digest.hex)))")
            // Checked in a statement that starts after the lock is held (its own snapshot).
            guard try !PostgresMetadataStore.isReferenced(digest.hex, session) else { return 0 }
            return try session.execute("DELETE FROM blobs WHERE digest = \(digest.hex)")
        }
        if deleted == 0 { throw StorageError(.notFound, "blob \(digest.hex) is not stored or still used") }
    }

    public func allDigests() throws(StorageError) -> [SHA256Digest] {
        try database.withConnection { session throws(StorageError) in
            var digests: [SHA256Digest] = []
            for row in try session.query("SELECT digest FROM blobs ORDER BY digest") {
                if let digest = SHA256Digest(hex: try PostgresRows.decode(row, String.self)) { digests.append(digest) }
            }
            return digests
        }
    }
}

/// A streamed write gathered in memory (uploads are bounded) and stored at `commit`.
final class PostgresBlobWriter: BlobWriter {
    private let store: PostgresBlobStore
    private var bytes: [UInt8]? = []
    private let hasher = SHA256Hasher()

    init(store: PostgresBlobStore) {
        self.store = store
    }

    var bytesWritten: Int64 { Int64(bytes?.count ?? 0) }

    func append(_ chunk: UnsafeRawBufferPointer) throws(StorageError) {
        guard bytes != nil else { throw StorageError(.io, "blob writer already finished") }
        hasher.update(chunk)
        bytes?.append(contentsOf: chunk)
    }

    func commit() throws(StorageError) -> SHA256Digest {
        try commit(checking: nil)
    }

    func commit(expecting expected: SHA256Digest) throws(StorageError) -> SHA256Digest {
        try commit(checking: expected)
    }

    /// As `FileBlobWriter`: bytes that do not hash to `expected` are dropped, never stored.
    private func commit(checking expected: SHA256Digest?) throws(StorageError) -> SHA256Digest {
        guard let bytes else { throw StorageError(.io, "blob writer already finished") }
        self.bytes = nil
        let digest = hasher.finalize()
        if let expected, expected != digest {
            throw StorageError(.digestMismatch, "the bytes have digest sha256:\(digest.hex), not sha256:\(expected.hex)")
        }
        try store.store(bytes, digest: digest)
        return digest
    }

    func abort() {
        bytes = nil
    }
}

import OpenSSLSupport

/// Content-addressed storage for chart and provenance bytes.
///
/// A protocol so that an object store can replace the local filesystem when ChartWarden runs as
/// several replicas; the service layer relies only on what is declared here.
public protocol BlobStore: Sendable {
    /// Stores bytes durably and returns their digest; storing the same bytes twice is a no-op.
    func write(_ bytes: [UInt8]) throws(StorageError) -> SHA256Digest
    /// Starts a streamed write whose digest is known only at the end.
    func beginWrite() throws(StorageError) -> any BlobWriter
    func read(_ digest: SHA256Digest) throws(StorageError) -> [UInt8]
    func contains(_ digest: SHA256Digest) -> Bool
    func size(of digest: SHA256Digest) throws(StorageError) -> Int64
    func delete(_ digest: SHA256Digest) throws(StorageError)
    /// Every stored digest, for rebuilding metadata after a disaster.
    func allDigests() throws(StorageError) -> [SHA256Digest]
}

/// A blob being written. Nothing is visible until `commit` returns; `abort` (or dropping the
/// writer) leaves no trace.
public protocol BlobWriter: AnyObject {
    func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError)
    var bytesWritten: Int64 { get }
    /// Makes the blob durable under its digest and returns it.
    func commit() throws(StorageError) -> SHA256Digest
    /// Commits only when the bytes hash to `expected`; otherwise nothing is kept and the error is
    /// `.digestMismatch` (an OCI upload whose `?digest=` is not what was sent).
    func commit(expecting expected: SHA256Digest) throws(StorageError) -> SHA256Digest
    func abort()
}

extension BlobWriter {
    public func append(_ bytes: [UInt8]) throws(StorageError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(StorageError) in try append(buffer) }
        }.get()
    }
}

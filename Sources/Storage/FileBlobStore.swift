import Foundation
import OpenSSLSupport

/// Blobs as files under `root/sha256/ab/abcdef…`, written to `root/tmp`, fsynced, renamed into
/// place and the directory fsynced: after a crash a blob is either complete or absent.
public final class FileBlobStore: BlobStore {
    public let root: String

    public init(root: String) throws(StorageError) {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: root + "/sha256", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: tempDirectory, withIntermediateDirectories: true)
            // Temp files are only ever left behind by a crash mid-write; none of them is a blob.
            for leftover in try FileManager.default.contentsOfDirectory(atPath: tempDirectory) {
                try? FileManager.default.removeItem(atPath: tempDirectory + "/" + leftover)
            }
        } catch {
            throw StorageError(.io, "cannot prepare blob directory \(root): \(error)")
        }
    }

    public func path(for digest: SHA256Digest) -> String {
        let hex = digest.hex
        return "\(root)/sha256/\(hex.prefix(2))/\(hex)"
    }

    public func write(_ bytes: [UInt8]) throws(StorageError) -> SHA256Digest {
        let writer = try beginWrite()
        try writer.append(bytes)
        return try writer.commit()
    }

    public func beginWrite() throws(StorageError) -> any BlobWriter {
        try FileBlobWriter(store: self)
    }

    public func read(_ digest: SHA256Digest) throws(StorageError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(for: digest)) else {
            throw StorageError(.notFound, "blob \(digest.hex) is not stored")
        }
        return [UInt8](data)
    }

    public func contains(_ digest: SHA256Digest) -> Bool {
        FileManager.default.fileExists(atPath: path(for: digest))
    }

    public func size(of digest: SHA256Digest) throws(StorageError) -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path(for: digest)),
              let size = attributes[.size] as? NSNumber else {
            throw StorageError(.notFound, "blob \(digest.hex) is not stored")
        }
        return size.int64Value
    }

    public func delete(_ digest: SHA256Digest) throws(StorageError) {
        do {
            try FileManager.default.removeItem(atPath: path(for: digest))
        } catch {
            throw StorageError(.notFound, "blob \(digest.hex) is not stored")
        }
    }

    public func allDigests() throws(StorageError) -> [SHA256Digest] {
        guard let enumerator = FileManager.default.enumerator(atPath: root + "/sha256") else {
            throw StorageError(.io, "cannot list \(root)/sha256")
        }
        var digests: [SHA256Digest] = []
        while let path = enumerator.nextObject() as? String {
            if let name = path.split(separator: "/").last, let digest = SHA256Digest(hex: String(name)) {
                digests.append(digest)
            }
        }
        return digests.sorted { $0.hex < $1.hex }
    }

    /// Moves a finished temp file to its content address. Runs under the writer's commit.
    fileprivate func install(tempPath: String, digest: SHA256Digest) throws(StorageError) {
        let finalPath = path(for: digest)
        let shard = (finalPath as NSString).deletingLastPathComponent
        if FileManager.default.fileExists(atPath: finalPath) {
            // Identical content is already durable: storing it again changes nothing.
            unlink(tempPath)
            return
        }
        if !FileManager.default.fileExists(atPath: shard) {
            do {
                try FileManager.default.createDirectory(atPath: shard, withIntermediateDirectories: true)
            } catch {
                throw StorageError(.io, "cannot create \(shard): \(error)")
            }
            try FileDescriptor.syncDirectory(root + "/sha256")
        }
        guard rename(tempPath, finalPath) == 0 else {
            throw StorageError(.io, "cannot rename blob into place: \(FileDescriptor.lastError)")
        }
        try FileDescriptor.syncDirectory(shard)
    }

    /// Where writes happen before their rename; anything found here at open is crash debris.
    var tempDirectory: String { root + "/tmp" }
}

/// A streamed write into `tmp/`, hashed as it goes.
final class FileBlobWriter: BlobWriter {
    private let store: FileBlobStore
    private let tempPath: String
    private var file: FileDescriptor?
    private let hasher = SHA256Hasher()
    private(set) var bytesWritten: Int64 = 0

    fileprivate init(store: FileBlobStore) throws(StorageError) {
        self.store = store
        tempPath = "\(store.tempDirectory)/\(UUID().uuidString)"
        file = try FileDescriptor(path: tempPath, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
    }

    deinit {
        if file != nil { abort() }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        guard let file else { throw StorageError(.io, "blob writer already finished") }
        hasher.update(bytes)
        try file.writeAll(bytes)
        bytesWritten += Int64(bytes.count)
    }

    func commit() throws(StorageError) -> SHA256Digest {
        try commit(checking: nil)
    }

    func commit(expecting expected: SHA256Digest) throws(StorageError) -> SHA256Digest {
        try commit(checking: expected)
    }

    private func commit(checking expected: SHA256Digest?) throws(StorageError) -> SHA256Digest {
        guard let file else { throw StorageError(.io, "blob writer already finished") }
        let digest = hasher.finalize()
        if let expected, expected != digest {
            abort()
            throw StorageError(.digestMismatch, "the bytes have digest sha256:\(digest.hex), not sha256:\(expected.hex)")
        }
        try file.sync()
        self.file = nil
        do {
            try store.install(tempPath: tempPath, digest: digest)
        } catch {
            unlink(tempPath)
            throw error
        }
        return digest
    }

    func abort() {
        file = nil
        unlink(tempPath)
    }
}

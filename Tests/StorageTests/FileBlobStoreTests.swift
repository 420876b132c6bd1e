import Foundation
import OpenSSLSupport
import Storage
import Testing

@Suite struct FileBlobStoreTests {
    @Test func writesContentAddressedFiles() throws {
        let directory = try TemporaryDirectory()
        let store = try FileBlobStore(root: directory.path + "/blobs")
        let bytes = Array("chart bytes".utf8)
        let digest = try store.write(bytes)
        #expect(digest == SHA256Hasher.hash(bytes))
        let hex = digest.hex
        #expect(store.path(for: digest) == "\(directory.path)/blobs/sha256/\(hex.prefix(2))/\(hex)")
        #expect(FileManager.default.fileExists(atPath: store.path(for: digest)))
        #expect(try store.read(digest) == bytes)
        #expect(try store.size(of: digest) == Int64(bytes.count))
        #expect(try store.allDigests() == [digest])
    }

    @Test func identicalContentIsStoredOnce() throws {
        let directory = try TemporaryDirectory()
        let store = try FileBlobStore(root: directory.path)
        let first = try store.write(Array("same".utf8))
        let second = try store.write(Array("same".utf8))
        #expect(first == second)
        #expect(try store.allDigests().count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
    }

    @Test func streamedWriteHashesAsItGoes() throws {
        let directory = try TemporaryDirectory()
        let store = try FileBlobStore(root: directory.path)
        let writer = try store.beginWrite()
        var all: [UInt8] = []
        for index in 0..<50 {
            let chunk = [UInt8](repeating: UInt8(index), count: 10_000)
            try writer.append(chunk)
            all += chunk
        }
        #expect(writer.bytesWritten == 500_000)
        let digest = try writer.commit()
        #expect(digest == SHA256Hasher.hash(all))
        #expect(try store.read(digest) == all)
    }

    @Test func abortedWriteLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        let store = try FileBlobStore(root: directory.path)
        do {
            let writer = try store.beginWrite()
            try writer.append(Array("partial".utf8))
            writer.abort()
        }
        do {
            // Dropped without commit: same as abort.
            let writer = try store.beginWrite()
            try writer.append(Array("dropped".utf8))
        }
        #expect(try store.allDigests().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
    }

    @Test func leftoversOfACrashedWriteAreClearedOnOpen() throws {
        let directory = try TemporaryDirectory()
        _ = try FileBlobStore(root: directory.path)
        FileManager.default.createFile(atPath: directory.path + "/tmp/half-written", contents: Data("half".utf8))
        let reopened = try FileBlobStore(root: directory.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
        #expect(try reopened.allDigests().isEmpty)
    }

    @Test func missingBlob() throws {
        let directory = try TemporaryDirectory()
        let store = try FileBlobStore(root: directory.path)
        let digest = SHA256Hasher.hash(Array("absent".utf8))
        #expect(!store.contains(digest))
        #expect(throws: StorageError.self) { try store.read(digest) }
        #expect(throws: StorageError.self) { try store.delete(digest) }
    }
}

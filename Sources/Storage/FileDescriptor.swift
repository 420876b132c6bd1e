#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX file descriptor closed in `deinit`, with the few calls durable writes need.
final class FileDescriptor {
    let raw: Int32

    init(path: String, flags: Int32, mode: mode_t = 0o644) throws(StorageError) {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StorageError(.io, "cannot open \(path): \(Self.lastError)") }
        raw = fd
    }

    deinit {
        close(raw)
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(raw, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw StorageError(.io, "write failed: \(Self.lastError)")
            }
            offset += written
        }
    }

    func sync() throws(StorageError) {
        guard fsync(raw) == 0 else { throw StorageError(.io, "fsync failed: \(Self.lastError)") }
    }

    static var lastError: String { String(cString: strerror(errno)) }

    /// fsyncs a directory so that a rename or create inside it survives a crash.
    static func syncDirectory(_ path: String) throws(StorageError) {
        let directory = try FileDescriptor(path: path, flags: O_RDONLY | O_DIRECTORY)
        try directory.sync()
    }
}

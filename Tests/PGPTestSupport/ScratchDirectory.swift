import Foundation

/// A private (0700) directory under the system temp dir, removed when the last reference goes,
/// so GnuPG homes made by tests do not pile up in /tmp.
public final class ScratchDirectory: Sendable {
    public let path: String

    public init(prefix: String) throws {
        path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

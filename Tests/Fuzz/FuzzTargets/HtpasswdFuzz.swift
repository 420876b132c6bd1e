import Credentials

/// The htpasswd reader and the password-hash classifier behind it.
enum HtpasswdFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = try? HtpasswdFile.parse(String(decoding: bytes, as: UTF8.self))
    }
}

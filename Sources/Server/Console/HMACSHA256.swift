import OpenSSLSupport

/// HMAC-SHA256 (RFC 2104) over the project's SHA-256, for the console's CSRF tokens.
enum HMACSHA256 {
    static let blockSize = 64

    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var block = key.count > blockSize ? SHA256Hasher.hash(key).bytes : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = SHA256Hasher.hash(block.map { $0 ^ 0x36 } + message).bytes
        return SHA256Hasher.hash(block.map { $0 ^ 0x5C } + inner).bytes
    }
}

import Credentials
import OpenSSLSupport

/// The text of an API token: `cwt_` + a 16-hex-digit id + `_` + a 64-hex-digit secret (256
/// random bits). The prefix makes leaked tokens recognizable to secret scanners and tells a
/// token from a JWT; the id is public and finds the stored row; only the SHA-256 of the secret
/// is stored. A slow hash would add nothing: 256 random bits cannot be guessed or looked up.
package struct APITokenCredential: Sendable, Equatable {
    package static let prefix = "cwt_"
    private static let idDigits = 16
    private static let secretDigits = 64

    package let id: String
    package let secret: String

    package var text: String { Self.prefix + id + "_" + secret }

    /// A new token from the system's cryptographic random source.
    package static func generate() -> APITokenCredential {
        var generator = SystemRandomNumberGenerator()
        func hex(_ count: Int) -> String {
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: (0..<count).map { _ in digits[Int(generator.next() as UInt8) & 0x0f] }, as: UTF8.self)
        }
        return APITokenCredential(id: hex(idDigits), secret: hex(secretDigits))
    }

    private init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Parses a presented token; nil for anything not of the exact shape.
    package init?(_ text: String) {
        let utf8 = Array(text.utf8)
        let prefix = Array(Self.prefix.utf8)
        guard utf8.count == prefix.count + Self.idDigits + 1 + Self.secretDigits,
              utf8.starts(with: prefix), utf8[prefix.count + Self.idDigits] == UInt8(ascii: "_") else { return nil }
        let id = utf8[prefix.count..<(prefix.count + Self.idDigits)]
        let secret = utf8[(prefix.count + Self.idDigits + 1)...]
        guard id.allSatisfy(Self.isLowerHex), secret.allSatisfy(Self.isLowerHex) else { return nil }
        self.id = String(decoding: id, as: UTF8.self)
        self.secret = String(decoding: secret, as: UTF8.self)
    }

    /// Whether `text` claims to be an API token (has the prefix), well formed or not.
    package static func looksLikeToken(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// What the store keeps: SHA-256 of the secret, as hex.
    package var secretHash: String { Self.hash(secret) }

    package static func hash(_ secret: String) -> String {
        let hasher = SHA256Hasher()
        hasher.update(Array(secret.utf8))
        return hasher.finalize().hex
    }

    /// Whether this token's secret is the one `storedHash` was made from, in constant time.
    package func matches(storedHash: String) -> Bool {
        ConstantTime.equals(Array(secretHash.utf8), Array(storedHash.utf8))
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}

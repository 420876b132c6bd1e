import Foundation

/// The header and claims of a compact JWT, decoded without trusting them: the OIDC checks read
/// the algorithm and key id to pick a key, and judge the claims once jwt-kit has verified the
/// signature over these same bytes.
package struct JWTSegments: Sendable, Equatable {
    /// Longest token read; real CI tokens are 1 to 2 KiB.
    package static let maxBytes = 16 * 1_024

    package let algorithm: String
    package let keyID: String?
    package let claims: [String: JWTClaimValue]

    private struct Header: Decodable {
        let alg: String
        let kid: String?
    }

    /// Nil for anything but three base64url segments whose first two are JSON objects.
    package init?(_ token: String) {
        guard token.utf8.count <= Self.maxBytes else { return nil }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, !segments[2].isEmpty,
              let headerBytes = Self.base64URL(segments[0]), let claimBytes = Self.base64URL(segments[1]),
              let header = try? JSONDecoder().decode(Header.self, from: headerBytes),
              let claims = try? JSONDecoder().decode([String: JWTClaimValue].self, from: claimBytes) else { return nil }
        algorithm = header.alg
        keyID = header.kid
        self.claims = claims
    }

    static func base64URL(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39)
            || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// Whether a token claims to be a JWT (three dot-separated parts), well formed or not.
    package static func looksLikeJWT(_ text: String) -> Bool {
        text.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }
}

import OpenSSLSupport

/// HMAC-SHA256 (RFC 2104) for the console's CSRF tokens: OpenSSL's, as webhook signatures use.
enum HMACSHA256 {
    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        OpenSSLHMAC.sha256(message, key: key)
    }
}

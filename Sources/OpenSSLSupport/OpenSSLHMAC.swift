import COpenSSL

/// HMAC-SHA256 (RFC 2104) by OpenSSL: the console's CSRF tokens and the signature of webhook
/// deliveries.
public enum OpenSSLHMAC {
    public static func sha256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = key.withUnsafeBufferPointer { key in
            message.withUnsafeBufferPointer { message in
                // A non-null key pointer even for an empty key: OpenSSL reads it as "no key given" otherwise.
                withUnsafePointer(to: UInt8(0)) { empty in
                    HMAC(EVP_sha256(), UnsafeRawPointer(key.baseAddress ?? empty), Int32(key.count),
                         message.baseAddress ?? empty, message.count, &output, &length)
                }
            }
        }
        // Only an allocation failure makes a built-in digest's HMAC fail.
        precondition(done != nil && length == 32, "OpenSSL could not compute HMAC-SHA256")
        return Array(output.prefix(Int(length)))
    }

    public static func sha256Hex(_ message: [UInt8], key: [UInt8]) -> String {
        SHA256Digest(bytes: sha256(message, key: key)).hex
    }
}

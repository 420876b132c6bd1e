import COpenSSL

/// OpenSSL's thread-local error queue. Cleared before each operation and drained after a failure,
/// so an error is never attributed to the wrong connection.
enum OpenSSLErrorQueue {
    static func clear() {
        ERR_clear_error()
    }

    /// Every queued error as OpenSSL's text, joined; `fallback` when the queue is empty.
    static func drain(fallback: String) -> String {
        drainWithReasons(fallback: fallback).message
    }

    /// The text, plus each error's reason code so callers can classify without parsing text.
    static func drainWithReasons(fallback: String) -> (message: String, reasons: Set<Int32>) {
        var messages: [String] = []
        var reasons: Set<Int32> = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            reasons.insert(ERR_GET_REASON(code))
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return (messages.isEmpty ? fallback : messages.joined(separator: "; "), reasons)
    }
}

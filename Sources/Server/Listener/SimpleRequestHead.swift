import NIOCore

/// The head of a request simple enough to answer without the full HTTP/1 pipeline: `GET` or
/// `HEAD`, `HTTP/1.1`, an origin-form path of plain characters, CRLF line endings, well-formed
/// header lines, and none of the headers that change how a request is framed or who sends it
/// (`Content-Length`, `Transfer-Encoding`, `Authorization`, `Connection`, `Expect`, `Upgrade`).
///
/// Anything else is `.unsupported` and goes, byte for byte, to NIO's HTTP/1 parser and the
/// router — this reader only ever says "not mine", never rejects, so it cannot be the weaker
/// parser in a request-smuggling pair.
struct SimpleRequestHead: Equatable {
    enum Method: Equatable {
        case get
        case head
    }

    enum ParseResult: Equatable {
        /// The head is not complete in the bytes given.
        case incomplete
        /// Not a simple request: hand everything to the full pipeline.
        case unsupported
        /// A simple request whose head is `length` bytes long.
        case request(SimpleRequestHead, length: Int)
    }

    var method: Method
    /// The path without the query string.
    var path: String
    var ifNoneMatch: String?
    var acceptEncoding: String?
    var requestID: String?
    /// A `Range` header was sent (the OCI fast path leaves ranged blob reads to the router).
    var hasRange = false

    /// Heads larger than this are never simple.
    static let maximumLength = 8_192

    static func parse(_ buffer: ByteBuffer) -> ParseResult {
        buffer.withUnsafeReadableBytes { parse($0) }
    }

    static func parse(_ bytes: [UInt8]) -> ParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// One pass over the bytes, no copies: only the values kept become Strings.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        let limit = min(bytes.count, maximumLength)
        /// The CR ending the line that starts at `start` (it must be followed by LF, with no bare
        /// CR or LF before it); `.some(nil)` when the line is not complete yet.
        func lineEnd(from start: Int) -> Int?? {
            var index = start
            while index < limit {
                switch bytes[index] {
                case 0x0D:
                    guard index + 1 < bytes.count else { return .some(nil) }
                    guard bytes[index + 1] == 0x0A else { return .none }  // a bare CR
                    return .some(index)
                case 0x0A:
                    return .none  // a bare LF
                default:
                    index += 1
                }
            }
            return .some(nil)
        }
        func equals(_ start: Int, _ end: Int, _ text: StaticString) -> Bool {
            guard end - start == text.utf8CodeUnitCount else { return false }
            let pointer = text.utf8Start
            for offset in 0..<(end - start) where bytes[start + offset] != pointer[offset] { return false }
            return true
        }
        /// Case-insensitive, for header names; `text` is lowercase.
        func equalsIgnoringCase(_ start: Int, _ end: Int, _ text: StaticString) -> Bool {
            guard end - start == text.utf8CodeUnitCount else { return false }
            let pointer = text.utf8Start
            for offset in 0..<(end - start) {
                var byte = bytes[start + offset]
                if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
                if byte != pointer[offset] { return false }
            }
            return true
        }
        func string(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        // Request line: METHOD SP path[?query] SP HTTP/1.1 CRLF
        guard let found = lineEnd(from: 0) else { return .unsupported }
        guard let requestLineEnd = found else { return bytes.count >= maximumLength ? .unsupported : .incomplete }
        guard let firstSpace = (0..<requestLineEnd).first(where: { bytes[$0] == 0x20 }) else { return .unsupported }
        let method: Method
        if equals(0, firstSpace, "GET") {
            method = .get
        } else if equals(0, firstSpace, "HEAD") {
            method = .head
        } else {
            return .unsupported
        }
        let targetStart = firstSpace + 1
        var targetEnd = targetStart
        var pathEnd: Int?
        while targetEnd < requestLineEnd, bytes[targetEnd] != 0x20 {
            let byte = bytes[targetEnd]
            if pathEnd == nil {
                if byte == UInt8(ascii: "?") {
                    pathEnd = targetEnd
                } else if !isPlainPathByte(byte) {
                    return .unsupported
                }
            } else if byte <= 0x20 || byte >= 0x7F {
                return .unsupported
            }
            targetEnd += 1
        }
        guard targetEnd > targetStart, bytes[targetStart] == UInt8(ascii: "/"),
              equals(targetEnd + 1, requestLineEnd, "HTTP/1.1") else { return .unsupported }
        var request = SimpleRequestHead(method: method, path: string(targetStart, pathEnd ?? targetEnd))

        // Header lines until the empty line.
        var lineStart = requestLineEnd + 2
        while true {
            guard let found = lineEnd(from: lineStart) else { return .unsupported }
            guard let end = found else { return bytes.count >= maximumLength ? .unsupported : .incomplete }
            if end == lineStart { return .request(request, length: end + 2) }
            guard let colon = (lineStart..<end).first(where: { bytes[$0] == UInt8(ascii: ":") }), colon > lineStart,
                  (lineStart..<colon).allSatisfy({ isTokenByte(bytes[$0]) }) else { return .unsupported }
            var valueStart = colon + 1
            var valueEnd = end
            while valueStart < valueEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            if equalsIgnoringCase(lineStart, colon, "content-length")
                || equalsIgnoringCase(lineStart, colon, "transfer-encoding")
                || equalsIgnoringCase(lineStart, colon, "authorization")
                || equalsIgnoringCase(lineStart, colon, "proxy-authorization")
                || equalsIgnoringCase(lineStart, colon, "connection")
                || equalsIgnoringCase(lineStart, colon, "expect")
                || equalsIgnoringCase(lineStart, colon, "upgrade") {
                return .unsupported
            } else if equalsIgnoringCase(lineStart, colon, "if-none-match") {
                guard request.ifNoneMatch == nil else { return .unsupported }
                request.ifNoneMatch = string(valueStart, valueEnd)
            } else if equalsIgnoringCase(lineStart, colon, "accept-encoding") {
                guard request.acceptEncoding == nil else { return .unsupported }
                request.acceptEncoding = string(valueStart, valueEnd)
            } else if equalsIgnoringCase(lineStart, colon, "range") {
                request.hasRange = true
            } else if equalsIgnoringCase(lineStart, colon, "x-request-id") {
                request.requestID = string(valueStart, valueEnd)
            }
            lineStart = end + 2
        }
    }

    /// Unreserved characters, `/`, `+` (chart versions carry build metadata) and `:` (OCI digests,
    /// `sha256:…`); no `%` escapes, no dot segments, so the path means exactly what it says.
    private static func isPlainPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

import ChartWardenCore

/// The parts of a `multipart/form-data` body (RFC 7578 framing, RFC 2046 §5.1.1), read from the
/// whole body, which `UploadReader` has already bounded. ChartWarden's own reader because
/// MultipartKit 4.7 indexes a 128-entry table with every byte of a part's header name: one byte
/// of 0x80 or more there aborted the server (Tests/Fuzz/Regressions/Multipart).
struct MultipartFormData {
    struct Part: Equatable {
        /// `name` of the part's `Content-Disposition`, nil when it has none.
        var name: String?
        var body: ArraySlice<UInt8>
    }

    /// RFC 2046: a boundary is 1 to 70 characters.
    static let maxBoundaryLength = 70

    static func parts(of body: [UInt8], boundary: String) throws(ServiceError) -> [Part] {
        func malformed(_ why: String) -> ServiceError { ServiceError(.badRequest, "malformed multipart body: \(why)") }
        let dashBoundary = Array("--\(boundary)".utf8)
        guard (1...maxBoundaryLength).contains(boundary.utf8.count), !boundary.utf8.contains(where: { $0 < 0x20 }) else {
            throw malformed("the boundary must be 1 to \(maxBoundaryLength) printable characters")
        }
        let crlf: [UInt8] = [0x0D, 0x0A]
        let delimiter = crlf + dashBoundary
        // The first boundary opens the body or follows a preamble and a line break.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw malformed("no boundary")
        }
        var parts: [Part] = []
        while true {
            // After a boundary: "--" ends the body (an epilogue is ignored), else padding and CRLF.
            if body[position...].starts(with: [0x2D, 0x2D]) { return parts }
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard body[position...].starts(with: crlf) else { throw malformed("a boundary line does not end with CRLF") }
            position += 2
            // Header lines up to an empty line.
            var name: String?
            var sawDisposition = false
            while !body[position...].starts(with: crlf) {
                guard let lineEnd = find(crlf, in: body, from: position) else { throw malformed("unterminated part headers") }
                let line = body[position..<lineEnd]
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                      line[..<colon].allSatisfy(isTokenByte), !line.contains(0x0D), !line.contains(0x0A) else {
                    throw malformed("a part header line is not 'name: value'")
                }
                if String(decoding: line[..<colon], as: UTF8.self).lowercased() == "content-disposition" {
                    guard !sawDisposition else { throw malformed("a part has two Content-Disposition headers") }
                    sawDisposition = true
                    let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
                    name = UploadReader.fieldName(value)
                }
                position = lineEnd + 2
            }
            let start = position + 2
            guard let end = find(delimiter, in: body, from: start) else { throw malformed("a part is not closed by a boundary") }
            parts.append(Part(name: name, body: body[start..<end]))
            position = end + delimiter.count
        }
    }

    /// The first `needle` in `haystack` at or after `start`. Needles here start with their only CR
    /// (CRLF, or CRLF and a boundary, which holds no control characters), so a partial match
    /// never overlaps the next candidate: linear in the body, whatever its bytes.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first else { return nil }
        var index = start
        while index < haystack.count, let candidate = haystack[index...].firstIndex(of: first) {
            if haystack[candidate...].starts(with: needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// RFC 9110 token characters: header names.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

@testable import Server

/// The fast path's request-head reader (`SimpleRequestHead`), on the bytes a client sent first.
enum RequestHeadFuzz {
    static func run(_ bytes: [UInt8]) {
        guard case .request(let head, let length) = SimpleRequestHead.parse(bytes) else { return }
        // A head ends inside the bytes read, and reading them again gives the same head.
        precondition(length > 0 && length <= bytes.count, "head length \(length) outside \(bytes.count) bytes")
        precondition(SimpleRequestHead.parse(Array(bytes[..<length])) == .request(head, length: length))
        precondition(head.path.hasPrefix("/"))
    }
}

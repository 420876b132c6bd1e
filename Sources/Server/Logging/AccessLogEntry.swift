import Logging

/// One access-log line as a request leaves it: plain fields, no metadata dictionary. Logging a
/// request on an event loop then costs one append to the writer's queue; the key=value text (or
/// the JSON object) is made on the writer's thread. `metadata` is the same line for any other
/// log handler, so both forms print alike.
struct AccessLogEntry: Sendable {
    /// The request's id: the client's, or a generated one kept as its sequence number until written.
    enum RequestID: Sendable, CustomStringConvertible {
        case given(String)
        case generated(UInt64)

        var description: String {
            switch self {
            case .given(let id): id
            case .generated(let sequence): RequestIDMiddleware.render(sequence)
            }
        }
    }

    let method: String
    let path: String
    let status: Int
    let bytes: Int
    let duration: Duration
    let client: String
    /// Set by the fast path; the router's requests carry it in the logger's metadata instead.
    var requestID: RequestID?
    /// "fast" for answers of the event-loop fast path.
    var pathKind: String?

    /// The line's fields as swift-log metadata.
    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "method": .string(method),
            "path": .string(path),
            "status": .stringConvertible(status),
            "bytes": .stringConvertible(bytes),
            "duration_ms": .stringConvertible(DurationMilliseconds(duration)),
            "client": .string(client),
        ]
        if let requestID { metadata["request_id"] = .string(requestID.description) }
        if let pathKind { metadata["path_kind"] = .string(pathKind) }
        return metadata
    }

    /// The fields as the text line writes metadata (`key=value`, keys in byte order, values as is),
    /// without building the dictionary or any intermediate string (numbers are written as digits
    /// straight into the line): `LogLineFormatTests` checks it equals the generic rendering.
    func appendText(to out: inout [UInt8]) {
        func key(_ key: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            out.append(UInt8(ascii: "="))
        }
        key("bytes", first: true)
        LogBytes.appendDecimal(bytes, to: &out)
        key("client")
        out.append(contentsOf: client.utf8)
        key("duration_ms")
        DurationMilliseconds(duration).append(to: &out)
        key("method")
        out.append(contentsOf: method.utf8)
        key("path")
        out.append(contentsOf: path.utf8)
        if let pathKind {
            key("path_kind")
            out.append(contentsOf: pathKind.utf8)
        }
        switch requestID {
        case .given(let id)?:
            key("request_id")
            out.append(contentsOf: id.utf8)
        case .generated(let sequence)?:
            key("request_id")
            RequestIDMiddleware.append(sequence, to: &out)
        case nil:
            break
        }
        key("status")
        LogBytes.appendDecimal(status, to: &out)
    }
}

import HTTPTypes
import NIOCore
import Hummingbird
import Synchronization

/// Gives every request an id: the client's `X-Request-Id` when it is a sane token, a random one
/// otherwise. It is echoed in the response and attached to every log line of the request.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = ChartWardenRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.accept) ?? Self.generate()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    /// Up to 128 visible ASCII characters without separators that could forge log fields.
    static func accept(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128,
              value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else { return nil }
        return value
    }

    /// A random per-process prefix plus a counter: unique, unguessable across restarts, and free
    /// of a getrandom call per request.
    static func generate() -> String {
        render(nextSequence())
    }

    /// The counter part of a fresh id: the fast path keeps the number and writes the text only
    /// where it is needed (the response head now, the log line on the log writer's thread).
    static func nextSequence() -> UInt64 {
        counter.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// The id of `sequence` as text.
    static func render(_ sequence: UInt64) -> String {
        prefix + String(sequence, radix: 16).leftPadded(12)
    }

    /// Writes the id of `sequence` into `buffer` (the fast path's response head) without building a String.
    static func write(_ sequence: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeString(prefix)
        forEachCounterDigit(of: sequence) { buffer.writeInteger($0) }
    }

    /// Replaces the counter digits of an id written by `write(_:into:)` that start at `index`.
    static func set(_ sequence: UInt64, in buffer: inout ByteBuffer, at index: Int) {
        var at = index
        forEachCounterDigit(of: sequence) { digit in
            buffer.setInteger(digit, at: at)
            at += 1
        }
    }

    /// Writes the id of `sequence` into a log line's bytes (the log writer's thread).
    static func append(_ sequence: UInt64, to out: inout [UInt8]) {
        out.append(contentsOf: prefix.utf8)
        forEachCounterDigit(of: sequence) { out.append($0) }
    }

    static let counterDigitCount = 12

    /// The counter part's 12 lowercase hex digits, most significant first, as ASCII bytes.
    private static func forEachCounterDigit(of sequence: UInt64, _ body: (UInt8) -> Void) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 44, through: 0, by: -4) {
            body(digits.utf8Start[Int((sequence >> UInt64(shift)) & 0xF)])
        }
    }

    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16).leftPadded(16) + "-"
    }()

    private static let counter = Atomic<UInt64>(0)
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

import Dispatch
import HTTPTypes
import Hummingbird
import NIOCore
@testable import Server

/// The multipart upload reader. The first line of the input is the `Content-Type` header; the
/// rest is the body, delivered in two chunks split where the first byte of the body says, so
/// parts and boundaries straddle reads as they do on a socket.
enum MultipartFuzz {
    static func run(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
        guard let boundary = UploadReader.multipartBoundary(contentType) else { return }
        let split = body.isEmpty ? 0 : Int(body[0]) % body.count
        let chunks = [ByteBuffer(bytes: body[..<split]), ByteBuffer(bytes: body[split...])]
        let request = Request(head: HTTPRequest(method: .post, scheme: "https", authority: "fuzz", path: "/api/charts"),
                              body: RequestBody(asyncSequence: Chunks(buffers: chunks)))
        let reader = UploadReader(maxBytes: 1 << 20, chartField: "chart", provenanceField: "prov")
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = try? await reader.readMultipart(request, boundary: boundary)
            done.signal()
        }
        done.wait()
    }

    /// A body arriving as the given buffers.
    struct Chunks: AsyncSequence, Sendable {
        let buffers: [ByteBuffer]

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: ArraySlice<ByteBuffer>
            mutating func next() async -> ByteBuffer? { rest.popFirst() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: buffers[...]) }
    }
}

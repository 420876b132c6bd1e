@testable import Server

/// The multipart upload reader: the first line of the input is the `Content-Type` header, the
/// rest the body `UploadReader.readMultipart` has collected (under its size limit) and splits.
enum MultipartFuzz {
    static func run(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        guard let boundary = UploadReader.multipartBoundary(String(decoding: bytes[..<newline], as: UTF8.self)) else {
            return
        }
        let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
        guard let parts = try? MultipartFormData.parts(of: body, boundary: boundary) else { return }
        // Every part lies inside the body, in order.
        var previousEnd = 0
        for part in parts {
            precondition(part.body.startIndex >= previousEnd && part.body.endIndex <= body.count)
            previousEnd = part.body.endIndex
        }
    }
}

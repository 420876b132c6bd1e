import Foundation
import Hummingbird

/// JSON bodies for the API. Errors are always `{"error": "..."}`.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return make(status, bytes: ByteBuffer(bytes: data), headers: headers)
    }

    static func make(_ status: HTTPResponse.Status, bytes: ByteBuffer, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(bytes.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        if status == .unauthorized {
            headers[.wwwAuthenticate] = "Basic realm=\"chartwarden\""
        }
        return make(status, ["error": message], headers: headers)
    }
}

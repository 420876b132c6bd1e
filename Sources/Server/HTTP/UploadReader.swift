import ChartWardenCore
import Foundation
import Hummingbird
import NIOCore

/// Reads an upload body as it streams in, enforcing the size limit while reading: a declared
/// `Content-Length` over the limit is refused before any body byte is read, and a chunked body
/// is refused as soon as it crosses the limit. Nothing beyond the limit is ever held.
struct UploadReader {
    struct Parts {
        var chart: [UInt8]?
        var provenance: [UInt8]?
    }

    let maxBytes: Int
    let chartField: String
    let provenanceField: String

    func checkDeclaredLength(_ request: Request) throws(ServiceError) {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw tooLarge
        }
    }

    private var tooLarge: ServiceError {
        ServiceError(.payloadTooLarge, "upload exceeds the limit of \(maxBytes) bytes")
    }

    /// The whole body (raw `.tgz` or `.prov`), up to the limit.
    func readRaw(_ request: Request) async throws(ServiceError) -> [UInt8] {
        try checkDeclaredLength(request)
        var bytes: [UInt8] = []
        do {
            for try await buffer in request.body {
                guard bytes.count + buffer.readableBytes <= maxBytes else { throw tooLarge }
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.badRequest, "the upload body could not be read: \(error)")
        }
        return bytes
    }

    /// `chart` and `prov` parts of a multipart/form-data body, read whole under the same limit.
    func readMultipart(_ request: Request, boundary: String) async throws(ServiceError) -> Parts {
        let body = try await readRaw(request)
        var parts = Parts()
        for part in try MultipartFormData.parts(of: body, boundary: boundary) {
            switch part.name {
            case chartField?:
                guard parts.chart == nil else { throw duplicate(chartField) }
                parts.chart = Array(part.body)
            case provenanceField?:
                guard parts.provenance == nil else { throw duplicate(provenanceField) }
                parts.provenance = Array(part.body)
            default:
                break // Other fields (ChartMuseum clients send none) are ignored.
            }
        }
        return parts
    }

    private func duplicate(_ field: String) -> ServiceError {
        ServiceError(.badRequest, "multipart field '\(field)' appears more than once")
    }

    /// The boundary of a `multipart/form-data` content type, nil for any other type.
    static func multipartBoundary(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        for field in fields.dropFirst() where field.lowercased().hasPrefix("boundary=") {
            var value = field.dropFirst("boundary=".count)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    /// `name` from `form-data; name="chart"; filename="x.tgz"`.
    static func fieldName(_ disposition: String) -> String? {
        for field in disposition.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
        where field.lowercased().hasPrefix("name=") {
            var value = field.dropFirst("name=".count)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }
}

import ChartWardenCore
import Foundation
import Hummingbird
import MultipartKit
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

    /// `chart` and `prov` parts of a multipart/form-data body, parsed as the bytes arrive.
    func readMultipart(_ request: Request, boundary: String) async throws(ServiceError) -> Parts {
        try checkDeclaredLength(request)
        let parser = MultipartParser(boundary: boundary)
        var parts = Parts()
        var currentName: String?
        var current: [UInt8] = []
        var total = 0
        var duplicate: String?
        parser.onHeader = { field, value in
            if field.lowercased() == "content-disposition" { currentName = Self.fieldName(value) }
        }
        parser.onBody = { buffer in
            current.append(contentsOf: buffer.readableBytesView)
        }
        parser.onPartComplete = { [chartField, provenanceField] in
            switch currentName {
            case chartField?:
                if parts.chart != nil { duplicate = chartField }
                parts.chart = current
            case provenanceField?:
                if parts.provenance != nil { duplicate = provenanceField }
                parts.provenance = current
            default:
                break // Other fields (ChartMuseum clients send none) are ignored.
            }
            currentName = nil
            current = []
        }
        do {
            for try await buffer in request.body {
                total += buffer.readableBytes
                guard total <= maxBytes else { throw tooLarge }
                try parser.execute(buffer)
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.badRequest, "malformed multipart body: \(error)")
        }
        if let duplicate { throw ServiceError(.badRequest, "multipart field '\(duplicate)' appears more than once") }
        return parts
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

import Foundation
import ChartWardenCore

/// The fields of a submitted console form: `application/x-www-form-urlencoded`, or
/// `multipart/form-data` when it uploads a file (a key, a revocation certificate).
struct ConsoleForm: Equatable {
    var fields: [String: String] = [:]
    var files: [String: [UInt8]] = [:]

    subscript(_ name: String) -> String? { fields[name] }

    /// A checkbox or a confirmation button: present with any value but "false".
    func isSet(_ name: String) -> Bool { fields[name].map { $0 != "false" && $0 != "" } ?? false }

    /// Parses `body` by its content type. A field given twice is refused: markup injected into a
    /// page could otherwise add fields to the page's own form that win over its values.
    static func parse(_ body: [UInt8], contentType: String?) throws(ServiceError) -> ConsoleForm {
        if let boundary = UploadReader.multipartBoundary(contentType) {
            var form = ConsoleForm()
            for part in try MultipartFormData.parts(of: body, boundary: boundary) {
                guard let name = part.name else { continue }
                guard form.files[name] == nil else { throw duplicate(name) }
                form.files[name] = Array(part.body)
                form.fields[name] = String(decoding: part.body, as: UTF8.self)
            }
            return form
        }
        let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else {
            throw ServiceError(.badRequest, "a console form is sent as application/x-www-form-urlencoded or multipart/form-data")
        }
        return ConsoleForm(fields: try urlEncoded(String(decoding: body, as: UTF8.self)))
    }

    static func duplicate(_ name: String) -> ServiceError {
        ServiceError(.badRequest, "the form field \"\(name)\" is sent more than once")
    }

    /// `a=1&b=x+y%21` → ["a": "1", "b": "x y!"]; a malformed escape keeps the text as sent.
    static func urlEncoded(_ text: String) throws(ServiceError) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (raw: Substring) -> String in
                let spaced = raw.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(halves[0])
            guard fields[name] == nil else { throw duplicate(name) }
            fields[name] = halves.count > 1 ? decode(halves[1]) : ""
        }
        return fields
    }
}

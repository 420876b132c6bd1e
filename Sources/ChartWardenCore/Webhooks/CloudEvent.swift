import Foundation

/// A `WebhookEvent` as a CloudEvents 1.0 event in structured JSON mode (the CloudEvents JSON
/// format): the body ChartWarden posts with `Content-Type: application/cloudevents+json`.
package struct CloudEvent: Encodable, Sendable, Equatable {
    package static let contentType = "application/cloudevents+json"

    let specversion = "1.0"
    let id: String
    let source: String
    let type: String
    let subject: String?
    let time: String
    let datacontenttype = "application/json"
    let data: JSONValue

    /// `source` is `base` (the server's `publicURL`, else `urn:chartwarden`), followed by
    /// `/REPOSITORY` for an event of a repository (`/` for the root repository).
    package init(_ event: WebhookEvent, sourceBase: String?) {
        let base = sourceBase ?? "urn:chartwarden"
        id = event.id
        source = event.repository.map { base + "/" + $0 } ?? base
        type = event.type.rawValue
        subject = event.subject
        time = Self.timestamp(event.time)
        data = event.data
    }

    /// The body: keys sorted, no whitespace, so the same event always has the same bytes.
    package func body() throws(ServiceError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw ServiceError(.internalError, "cannot encode CloudEvent \(id): \(error)")
        }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

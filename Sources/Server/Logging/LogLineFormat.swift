import ChartIndex
import Foundation
import Logging

/// How the log writes a line: today's text (the same line swift-log's `StreamLogHandler` writes) or
/// one JSON object per line, encoded by `JSONEncoder` so no logged text can break the line.
public enum LogLineFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// A batch of lines, one per record, each ending in a newline.
    func render(_ records: [LogRecord]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(records.count * 192)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for record in records { render(record, encoder: encoder, into: &out) }
        return out
    }

    private func render(_ record: LogRecord, encoder: JSONEncoder, into out: inout [UInt8]) {
        switch self {
        case .text:
            out.append(contentsOf: Self.textTimestamp(record.time).utf8)
            out.append(contentsOf: " \(record.level)\(record.label.isEmpty ? "" : " ")\(record.label):".utf8)
            if !record.metadata.isEmpty {
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: record.metadata.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ").utf8)
            }
            out.append(contentsOf: " [\(record.source)] \(record.message)\n".utf8)
        case .json:
            let line = JSONLine(time: IndexTimestamp.format(record.time), level: record.level.rawValue, label: record.label,
                                message: record.message, source: record.source,
                                metadata: record.metadata.isEmpty ? nil : record.metadata.mapValues(JSONMetadataValue.init))
            out.append(contentsOf: (try? encoder.encode(line)) ?? Data(#"{"message":"unencodable log line"}"#.utf8))
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// `StreamLogHandler`'s timestamp: local time to the second with the UTC offset.
    private static func textTimestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "<unknown>" }
        var buffer = [Int8](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private struct JSONLine: Encodable {
        let time: String
        let level: String
        let label: String
        let message: String
        let source: String
        let metadata: [String: JSONMetadataValue]?
    }

    private enum JSONMetadataValue: Encodable {
        case string(String)
        case list([JSONMetadataValue])
        case object([String: JSONMetadataValue])

        init(_ value: Logger.MetadataValue) {
            switch value {
            case .string(let string): self = .string(string)
            case .stringConvertible(let convertible): self = .string(convertible.description)
            case .array(let items): self = .list(items.map(JSONMetadataValue.init))
            case .dictionary(let fields): self = .object(fields.mapValues(JSONMetadataValue.init))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let string): try container.encode(string)
            case .list(let items): try container.encode(items)
            case .object(let fields): try container.encode(fields)
            }
        }
    }
}

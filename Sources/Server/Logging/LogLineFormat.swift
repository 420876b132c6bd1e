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
        var timestamps = TextTimestamps()
        for record in records { render(record, encoder: encoder, timestamps: &timestamps, into: &out) }
        return out
    }

    private func render(_ record: LogRecord, encoder: JSONEncoder, timestamps: inout TextTimestamps, into out: inout [UInt8]) {
        switch self {
        case .text:
            out.append(contentsOf: timestamps.text(for: record.time))
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: record.level.rawValue.utf8)
            if !record.label.isEmpty { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: record.label.utf8)
            out.append(UInt8(ascii: ":"))
            switch record.body {
            case .access(let entry):
                // The fields straight into the line: no dictionary, no sort (keys are fixed).
                out.append(UInt8(ascii: " "))
                entry.appendText(to: &out)
            case .event(_, let metadata):
                if !metadata.isEmpty {
                    out.append(UInt8(ascii: " "))
                    out.append(contentsOf: metadata.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ").utf8)
                }
            }
            out.append(contentsOf: " [".utf8)
            out.append(contentsOf: record.source.utf8)
            out.append(contentsOf: "] ".utf8)
            out.append(contentsOf: record.message.utf8)
            out.append(UInt8(ascii: "\n"))
        case .json:
            let metadata = record.metadata
            let line = JSONLine(time: IndexTimestamp.format(record.time), level: record.level.rawValue, label: record.label,
                                message: record.message, source: record.source,
                                metadata: metadata.isEmpty ? nil : metadata.mapValues(JSONMetadataValue.init))
            out.append(contentsOf: (try? encoder.encode(line)) ?? Data(#"{"message":"unencodable log line"}"#.utf8))
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// `StreamLogHandler`'s timestamp: local time to the second with the UTC offset. A batch's lines
    /// mostly share their second, so the last one formatted is reused.
    private struct TextTimestamps {
        private var second: time_t = -1
        private var bytes: [UInt8] = []

        mutating func text(for date: Date) -> [UInt8] {
            var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
            guard seconds != second else { return bytes }
            var parts = tm()
            guard localtime_r(&seconds, &parts) != nil else { return Array("<unknown>".utf8) }
            var buffer = [Int8](repeating: 0, count: 64)
            let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
            second = seconds
            bytes = buffer.prefix(length).map { UInt8(bitPattern: $0) }
            return bytes
        }
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

import Foundation
import Logging

/// A swift-log handler that captures each event and hands it to a `BufferedLogWriter`: for `info`
/// and below (the access log), the logging thread (an event loop) merges metadata and queues, and
/// formatting and the write happen on the writer's thread; warnings and worse are written before
/// `log` returns, never dropped.
public struct BufferedLogHandler: LogHandler {
    private let label: String
    private let writer: BufferedLogWriter
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, writer: BufferedLogWriter, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.writer = writer
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let record = LogRecord(time: Date(), level: event.level, label: label, message: event.message.description,
                               metadata: merged, source: event.source)
        if event.level >= .warning {
            writer.writeNow(record)
        } else {
            writer.submit(record)
        }
    }

    /// Queues an access-log line as its fields when nothing needs merging (no metadata on the
    /// handler but the router's `request_id`, no metadata provider); false when the caller must log
    /// it the generic way.
    func logAccess(_ entry: AccessLogEntry, level: Logger.Level, source: String) -> Bool {
        guard logLevel <= level else { return true }
        guard metadataProvider == nil, level < .warning else { return false }
        var entry = entry
        switch metadata.count {
        case 0:
            break
        case 1:
            guard entry.requestID == nil, case .string(let id)? = metadata["request_id"] else { return false }
            entry.requestID = .given(id)
        default:
            return false
        }
        writer.submit(LogRecord(time: Date(), level: level, label: label, body: .access(entry), source: source))
        return true
    }
}

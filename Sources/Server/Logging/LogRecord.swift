import Foundation
import Logging

/// One log event as captured on the thread that logged it: formatting waits for the writer thread.
struct LogRecord: Sendable {
    enum Body: Sendable {
        case event(message: String, metadata: Logger.Metadata)
        /// An access-log line (message "request"), kept as fields until it is written.
        case access(AccessLogEntry)
    }

    let time: Date
    let level: Logger.Level
    let label: String
    let body: Body
    let source: String

    init(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String) {
        self.init(time: time, level: level, label: label, body: .event(message: message, metadata: metadata), source: source)
    }

    init(time: Date, level: Logger.Level, label: String, body: Body, source: String) {
        self.time = time
        self.level = level
        self.label = label
        self.body = body
        self.source = source
    }

    static let accessMessage = "request"

    var message: String {
        switch body {
        case .event(let message, _): message
        case .access: Self.accessMessage
        }
    }

    var metadata: Logger.Metadata {
        switch body {
        case .event(_, let metadata): metadata
        case .access(let entry): entry.metadata
        }
    }
}

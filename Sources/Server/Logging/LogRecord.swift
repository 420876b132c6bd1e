import Foundation
import Logging

/// One log event as captured on the thread that logged it: formatting waits for the writer thread.
struct LogRecord: Sendable {
    let time: Date
    let level: Logger.Level
    let label: String
    let message: String
    let metadata: Logger.Metadata
    let source: String
}

/// A storage failure with a stable code; the HTTP layer maps `conflict` and `fileNameTaken` to 409, `notFound` to 404,
/// `unavailable` to 503 with `Retry-After`, and the rest to 500.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case conflict
        /// The chart's file name `N-V.tgz` (compared without case) belongs to another live chart.
        case fileNameTaken
        case notFound
        case io
        case corrupt
        /// A streamed blob's bytes do not hash to the digest the writer was told.
        case digestMismatch
        /// The store cannot be reached now (the database is down, restarting, refusing connections
        /// or not answering in time): retrying later may succeed, and nothing was changed by a
        /// statement that did not commit.
        case unavailable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

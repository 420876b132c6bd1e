import Storage

extension ServiceError {
    /// How long a client is told to wait (`Retry-After`) when the database cannot be reached:
    /// about as long as a restart of PostgreSQL or a failover takes.
    package static let storageRetryAfterSeconds = 5

    /// The answer to a store call that failed with `cause`: while the store is unavailable, a
    /// 503 saying so (with `Retry-After`, and nothing of the cause: it names hosts and SQL
    /// states); otherwise `code` with `message` (a 500's message only reaches the log).
    package init(_ code: Code, _ message: String, cause: any Error) {
        if Self.isUnavailable(cause) {
            self = .storageUnavailable
        } else {
            self.init(code, message)
        }
    }

    /// The 503 of a database that cannot be reached now.
    package static let storageUnavailable = ServiceError(
        .unavailable, "the database is unavailable; retry later", retryAfterSeconds: storageRetryAfterSeconds)

    /// Whether `error` says "the store cannot be reached now", also once wrapped by a domain or
    /// OCI error on its way up.
    package static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case let error as StorageError: error.code == .unavailable
        case let error as ServiceError: error.code == .unavailable
        case let error as OCIError: error.code == .unavailable
        default: false
        }
    }
}

extension OCIError {
    /// The OCI form of `ServiceError.init(_:_:cause:)`: `UNAVAILABLE` (503, `Retry-After`) while
    /// the store cannot be reached, else `code`.
    package init(_ code: Code, _ message: String, cause: any Error) {
        if ServiceError.isUnavailable(cause) {
            self.init(ServiceError.storageUnavailable)
        } else {
            self.init(code, message)
        }
    }
}

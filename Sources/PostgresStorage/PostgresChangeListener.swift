import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Storage

/// The one connection per replica that LISTENs on the change channel
/// (`PostgresMetadataStore.notificationChannel`), on an event loop group of its own: a
/// notification is only a hint to read the journal, handled by the caller off this group's loop.
/// A connection that drops ends `listen` with an error; the caller reconnects (with backoff)
/// and catches up from the journal.
public final class PostgresChangeListener: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger
    /// The listening backend's `application_name`: `chartwarden-listen-PID` (which process holds
    /// it, for operators and for the test that kills it).
    public let applicationName: String

    public init(pool: PostgresPool, logger: Logger = Logger(label: "chartwarden.replica")) {
        var configuration = pool.configuration
        applicationName = "chartwarden-listen-\(ProcessInfo.processInfo.processIdentifier)"
        configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        group.shutdownGracefully { _ in }
    }

    /// Connects and listens until the connection drops (throws) or the task is cancelled
    /// (returns). `onListening` runs once LISTEN is in effect, so a catch-up it starts misses
    /// nothing committed afterwards; `onNotification` gets each payload, nil when unreadable.
    public func listen(onListening: @Sendable () async -> Void,
                       onNotification: @Sendable (ChangeNotification?) async -> Void) async throws {
        let connection = try await PostgresConnection.connect(on: group.next(), configuration: configuration, id: 1,
                                                              logger: logger).get()
        do {
            try await connection.listen(on: PostgresMetadataStore.notificationChannel) { notifications in
                await onListening()
                for try await notification in notifications {
                    // A real payload is a few dozen bytes; anyone on the database may NOTIFY more.
                    let payload = notification.payload.utf8
                    let decoded = payload.count > 512 ? nil
                        : try? JSONDecoder().decode(ChangeNotification.self, from: Data(payload))
                    await onNotification(decoded)
                }
            }
        } catch {
            // Closed (and waited for) before it is released, whatever ended the listen.
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        // The sequence ended: the connection closed under it, or the task was cancelled.
        try Task.checkCancellation()
        throw StorageError(.io, "the PostgreSQL change listener's connection closed")
    }
}

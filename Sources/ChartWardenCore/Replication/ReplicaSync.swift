import Logging
import PostgresStorage
import ServiceLifecycle

/// Runs a replica's follower (issue 14): holds the LISTEN connection, reconnecting with backoff
/// and catching up from the journal after each (re)connection, and polls the journal every
/// `pollInterval` as a safety net, so a lost notification only delays an update.
package struct ReplicaSync: Service {
    package let follower: ReplicaFollower
    package let listener: PostgresChangeListener
    package let pollInterval: Duration
    private let logger = Logger(label: "chartwarden.replica")

    package init(follower: ReplicaFollower, listener: PostgresChangeListener, pollInterval: Duration = .seconds(2)) {
        self.follower = follower
        self.listener = listener
        self.pollInterval = pollInterval
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                // Notifications only mark the journal as worth reading: a flood of them (anyone on
                // the database may NOTIFY) collapses into one pending wake-up, never a queue.
                let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                await withDiscardingTaskGroup { group in
                    group.addTask { await listenForever(wake) }
                    group.addTask {
                        for await _ in wakeUps { await follower.catchUp() }
                    }
                    group.addTask { await pollForever() }
                }
                try Task.checkCancellation()
            }
        } catch is CancellationError {
            // Shutdown: not a failure of the service group.
        }
    }

    private func listenForever(_ wake: AsyncStream<Void>.Continuation) async {
        var backoff = ReconnectBackoff()
        while !Task.isCancelled {
            do {
                try await listener.listen(onListening: { [follower] in
                    await follower.setListening(true)
                    // Whatever committed while this replica was not listening.
                    await follower.catchUp()
                }, onNotification: { _ in
                    wake.yield()
                })
            } catch {
                if Task.isCancelled { break }
                logger.warning("the change listener lost PostgreSQL; reconnecting", metadata: ["error": "\(error)"])
            }
            // A connection that listened starts the waits over; one that never did doubles them.
            if await follower.isListening { backoff.connected() }
            await follower.setListening(false)
            try? await Task.sleep(for: backoff.failed())
        }
    }

    private func pollForever() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            await follower.catchUp()
        }
    }
}

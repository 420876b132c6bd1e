import Logging
import Storage

/// `/ready`: whether this replica can take writes, that is whether its metadata store answers.
/// Reads are served from memory whatever it says; `/health` (liveness) never asks it, so an
/// outage of the database takes replicas out of a load balancer's write pool without restarting
/// them. One probe at a time, on the thread pool, remembered about a second
/// (`ReadinessMemory`); concurrent questions share the probe under way.
package actor StoreReadiness {
    package enum Verdict: Sendable, Equatable {
        case ready
        /// Why not, fit for a client: no host, address or database error text.
        case notReady(String)
    }

    private let work: BlockingWork<Stores>
    private var memory: ReadinessMemory
    private var probing: Task<Verdict, Never>?
    private var lastLogged: Verdict = .ready
    private static let logger = Logger(label: "chartwarden.readiness")

    package init(work: BlockingWork<Stores>, freshFor: Duration = .seconds(1)) {
        self.work = work
        memory = ReadinessMemory(freshFor: freshFor)
    }

    package func verdict() async -> Verdict {
        if let known = memory.verdict(now: .now) { return known }
        if let probing { return await probing.value }
        let probe = Task { [work] in await Self.probe(work) }
        probing = probe
        let verdict = await probe.value
        memory.remember(verdict, at: .now)
        probing = nil
        if verdict != lastLogged {
            // Once per change, not once per probe.
            if case .notReady(let why) = verdict { Self.logger.warning("not ready: \(why)") } else { Self.logger.notice("ready again") }
            lastLogged = verdict
        }
        return verdict
    }

    private static func probe(_ work: BlockingWork<Stores>) async -> Verdict {
        do {
            try await work.run { (stores, _) throws(ServiceError) in
                do {
                    try stores.metadata.checkReachable()
                } catch {
                    throw ServiceError(.internalError, "the database probe failed: \(error)", cause: error)
                }
            }
            return .ready
        } catch where error.code == .unavailable {
            return .notReady(error.message)
        } catch {
            logger.error("readiness probe failed", metadata: ["error": "\(error.message)"])
            return .notReady("the database probe failed")
        }
    }
}

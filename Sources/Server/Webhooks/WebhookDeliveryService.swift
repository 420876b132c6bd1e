import AsyncHTTPClient
import ChartWardenCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Storage
import Synchronization

/// Sends what `WebhookOutbox` owes (README, "Webhooks"): every `pollInterval` (sooner when an
/// attempt is due) it reads the journal into deliveries, claims as many due ones as
/// `WebhookDeliveryPlan.claims` allows and posts each with AsyncHTTPClient on an event loop of
/// its own, bounded by the webhook's timeout. Requests being served never wait for any of it: uploads
/// only write the journal, in their own transaction.
final class WebhookDeliveryService: Service, Sendable {
    private let outbox: WebhookOutbox
    private let limits: WebhookDeliveryPlan.Limits
    private let logger: Logger
    private let metrics: ServerMetrics
    private let inFlight = Mutex<[String: Int]>([:])
    /// Wakes the loop when an attempt finishes (its slot is free again).
    private let wakeUp: AsyncStream<Void>.Continuation
    private let wakeUps: AsyncStream<Void>

    init(outbox: WebhookOutbox, limits: WebhookDeliveryPlan.Limits? = nil, metrics: ServerMetrics, logger: Logger) {
        self.outbox = outbox
        self.limits = limits ?? .forWebhooks(outbox.webhooks.count)
        self.metrics = metrics
        self.logger = logger
        (wakeUps, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func run() async throws {
        // The receivers' connections, TLS and parsing run on a loop of their own, never on the
        // loops that serve requests (review F10).
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clients = Self.makeClients(for: outbox.webhooks, on: loops)
        // On shutdown the loop stops; attempts in flight finish or time out first, and any left
        // unsettled stay owed, claimed again once their lease runs out.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                await self.loop(clients: clients, group: &group)
            }
        }
        for client in clients.values { try? await client.shutdown() }
        try? await loops.shutdownGracefully()
    }

    private func loop(clients: [String: HTTPClient], group: inout DiscardingTaskGroup) async {
        var wakeUps = self.wakeUps.makeAsyncIterator()
        let keys = outbox.webhooks.map(\.key)
        while !Task.isCancelled {
            for webhook in outbox.webhooks {
                do throws(ServiceError) {
                    try await outbox.fill(webhook)
                } catch {
                    logger.error("webhook: cannot read the change journal", metadata: [
                        "url": "\(webhook.displayURL)", "error": "\(error.message)"])
                }
            }
            // Only receivers with a due delivery claim (a write transaction): an idle loop only reads.
            let due = WebhookDeliveryPlan.due(keys, nextAttempts: (try? await outbox.nextAttempts()) ?? [:], now: Date())
            let claims = WebhookDeliveryPlan.claims(webhooks: due, inFlight: inFlight.withLock { $0 }, limits: limits)
            for webhook in outbox.webhooks {
                guard let limit = claims[webhook.key], limit > 0, let client = clients[webhook.key] else { continue }
                let deliveries: [WebhookDeliveryRecord]
                do throws(ServiceError) {
                    deliveries = try await outbox.claim(webhook, now: Date(), limit: limit)
                } catch {
                    logger.error("webhook: cannot claim deliveries", metadata: ["url": "\(webhook.displayURL)",
                                                                                "error": "\(error.message)"])
                    continue
                }
                for delivery in deliveries {
                    inFlight.withLock { $0[webhook.key, default: 0] += 1 }
                    group.addTask {
                        await self.attempt(delivery, webhook: webhook, client: client)
                        self.inFlight.withLock { $0[webhook.key, default: 1] -= 1 }
                        self.wakeUp.yield()
                    }
                }
            }
            let now = Date()
            let wake = WebhookDeliveryPlan.wake(now: now, nextAttempts: (try? await outbox.nextAttempts()) ?? [:],
                                                inFlight: inFlight.withLock { $0 }, limits: limits)
            let pause = wake.timeIntervalSince(now)
            if pause > 0 {
                // Whichever comes first: the due time, or a finished attempt freeing a slot. One
                // timer at a time: the loser is cancelled and never wakes a later pass (review F9).
                let wakeUp = self.wakeUp
                let timer = Task {
                    guard (try? await Task.sleep(for: .milliseconds(Int64((pause * 1_000).rounded(.up))))) != nil else {
                        return
                    }
                    wakeUp.yield()
                }
                _ = await wakeUps.next()
                timer.cancel()
            }
        }
    }

    /// One POST; its result goes to the deliveries log and settles the delivery.
    private func attempt(_ delivery: WebhookDeliveryRecord, webhook: Webhook, client: HTTPClient) async {
        if let reason = WebhookDeliveryPlan.reasonNotToSend(delivery, webhook: webhook, now: Date()) {
            do throws(ServiceError) {
                try await outbox.drop(delivery, webhook: webhook, reason: reason)
                logger.warning("webhook: delivery dropped unsent", metadata: [
                    "url": "\(webhook.displayURL)", "event": "\(delivery.eventID)", "reason": "\(reason)"])
            } catch {
                logger.error("webhook: cannot record a dropped delivery", metadata: [
                    "url": "\(webhook.displayURL)", "event": "\(delivery.eventID)", "error": "\(error.message)"])
            }
            return
        }
        let body = Array(delivery.body.utf8)
        let target = WebhookTarget(webhook.url)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        if let authorization = target.authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.headers.add(name: "Content-Type", value: CloudEvent.contentType)
        request.headers.add(name: "User-Agent", value: "ChartWarden-Webhooks")
        request.headers.add(name: WebhookSignature.header, value: WebhookSignature.value(body: body, secret: webhook.secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        var status: Int?
        var failure: String?
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(webhook.timeoutSeconds)))
            // The status is the answer; the body is never read (a receiver dripping one could
            // otherwise hold a slot past the timeout): dropping it closes the connection.
            status = Int(response.status.code)
        } catch {
            failure = Self.describe(error)
        }
        metrics.webhookAttempt(outcome: WebhookRetryPolicy.outcome(status: status) == .accepted ? "delivered" : "failed")
        do throws(ServiceError) {
            let recorded = try await outbox.finish(delivery, webhook: webhook, status: status, error: failure)
            if recorded.outcome == .abandoned {
                logger.warning("webhook: delivery abandoned after its retry time", metadata: [
                    "url": "\(webhook.displayURL)", "event": "\(delivery.eventID)", "attempts": "\(delivery.attempts)"])
            }
        } catch {
            logger.error("webhook: cannot record an attempt (it will be retried)", metadata: [
                "url": "\(webhook.displayURL)", "event": "\(delivery.eventID)", "error": "\(error.message)"])
        }
    }

    /// A short, credential-free reason (the URL is shown separately, without its user part).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timeout"
            case .remoteConnectionClosed: return "connection closed by the receiver"
            default: break
            }
        }
        if error is NIOConnectionError { return "connection failed" }
        if let error = error as? IOError { return "connection failed: \(error.description)" }
        if error is NIOSSLError { return "TLS failure" }
        return "request failed: \(type(of: error))"
    }

    /// One client per webhook: its own trust roots, no redirects (a redirect could move a signed
    /// event elsewhere), its own timeout; all on `loops`, none of the server's.
    static func makeClients(for webhooks: [Webhook], on loops: any EventLoopGroup) -> [String: HTTPClient] {
        var clients: [String: HTTPClient] = [:]
        for webhook in webhooks {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = webhook.caFile { tls.trustRoots = .file(caFile) }
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
            let timeout = TimeAmount.seconds(Int64(webhook.timeoutSeconds))
            configuration.timeout = .init(connect: timeout, read: timeout)
            // A refused connection is one failed attempt, retried by the webhook's own backoff:
            // the client's reconnecting would hold the slot for the whole timeout (review F12).
            configuration.connectionPool.retryConnectionEstablishment = false
            clients[webhook.key] = HTTPClient(eventLoopGroup: loops, configuration: configuration)
        }
        return clients
    }
}

import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics, on a registry of its own (not the process-global metrics
/// system), so each server instance — and each test — counts only its own requests.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Also handed to the core, which counts failed audit writes on this registry.
    public let factory: PrometheusMetricsFactory
    /// Counters by label and dimension values: built once, then found by a hash lookup.
    private struct CounterKey: Hashable {
        let label: String
        let values: [String]
    }
    private let counters = Mutex<[CounterKey: Metrics.Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50),
            .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
        ]
        self.factory = factory
    }

    fileprivate func counter(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Counter {
        let key = CounterKey(label: label, values: dimensions.map(\.1))
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Metrics.Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    func requestCompleted(route: String, method: String, status: Int, duration: Duration) {
        requestMetrics(route: route, method: method, status: status).record(duration)
    }

    /// The counter and timer of one route, method and status: callers on a hot path keep it
    /// instead of looking it up per request.
    struct RequestMetrics {
        let counter: Metrics.Counter
        let timer: Metrics.Timer

        func record(_ duration: Duration) {
            counter.increment()
            timer.record(duration: duration)
        }
    }

    /// Methods counted under their own name; any other is `OTHER`, so the counter table stays
    /// bounded whatever method tokens clients send.
    static let countedMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    func requestMetrics(route: String, method: String, status: Int) -> RequestMetrics {
        let method = Self.countedMethods.contains(method) ? method : "OTHER"
        let counter = counter("chartwarden_http_requests_total", [("route", route), ("method", method), ("status", String(status))])
        let timer = timers.withLock { cache in
            if let timer = cache[route] { return timer }
            let timer = Metrics.Timer(label: "chartwarden_http_request_duration_seconds", dimensions: [("route", route)],
                                      factory: factory)
            cache[route] = timer
            return timer
        }
        return RequestMetrics(counter: counter, timer: timer)
    }

    func downloadCounter(repository: String, kind: String) -> Metrics.Counter {
        counter("chartwarden_downloads_total", [("repository", repository), ("kind", kind)])
    }

    func chartServed(repository: String, kind: String) {
        counter("chartwarden_downloads_total", [("repository", repository), ("kind", kind)]).increment()
    }

    func upload(repository: String, outcome: String) {
        counter("chartwarden_uploads_total", [("repository", repository), ("outcome", outcome)]).increment()
    }

    /// Prometheus text exposition format.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

extension ServerMetrics {
    /// A connection past `server.maxConnections`, closed at accept.
    func connectionRefused() {
        counter("chartwarden_connections_refused_total", []).increment()
    }

    /// Refused client certificates audited only in the overflow bucket (the aggregation table was full).
    func certificateRejectionsDropped(_ count: Int) {
        counter("chartwarden_certificate_rejections_dropped_total", []).increment(by: Int64(count))
    }

    /// Authentications by outcome: `success`, `failure`, `rate_limited`, `certificate_rejected`.
    func authentication(outcome: String) {
        counter("chartwarden_auth_attempts_total", [("outcome", outcome)]).increment()
    }

    /// Webhook delivery attempts by outcome (`delivered`: a 2xx; `failed`: anything else).
    func webhookAttempt(outcome: String) {
        counter("chartwarden_webhook_attempts_total", [("outcome", outcome)]).increment()
    }

    /// Password hashes actually computed (cache misses); rate-limited attempts never get here.
    func passwordHashComputed() {
        counter("chartwarden_password_hashes_total", []).increment()
    }

    /// Live entries a bounded in-memory table keyed by client input evicted for room:
    /// `auth_failure_limiter`, `verified_passwords`.
    func evicted(_ count: Int, from table: String) {
        guard count > 0 else { return }
        counter("chartwarden_bounded_table_evictions_total", [("table", table)]).increment(by: Int64(count))
    }
}

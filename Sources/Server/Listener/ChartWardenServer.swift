import ChartWardenCore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Storage
import TLS

/// Wires configuration, storage, the repository service and the listeners into one runnable
/// service group: the TLS listener, the optional loopback plaintext listener, and SIGHUP reload.
public struct ChartWardenServer: Sendable {
    public let configuration: ChartWardenConfiguration
    public let service: ChartService
    public let metrics: ServerMetrics
    let authenticator: Authenticator
    let contexts: TLSContextProvider
    /// Serialized 200 heads per snapshot generation, shared by the router and the fast path.
    let answers = HelmAnswerCache()
    let logger: Logger

    /// Opens the data directory (SQLite + blobs) and loads the TLS context; fails early on any
    /// misconfiguration so `serve` exits before listening.
    public init(configuration: ChartWardenConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try DescriptorBudget(listeners: configuration.server.adminListen == nil ? 1 : 2,
                             maxConnections: configuration.server.maxConnections).ensure()
        metrics = ServerMetrics()
        service = try ChartService.open(configuration: configuration, metricsFactory: metrics.factory)
        authenticator = try Authenticator(
            configuration: .init(htpasswdPath: configuration.auth.htpasswd, limits: configuration.auth.failureLimit,
                                 oidc: configuration.auth.oidc, namedPrincipals: configuration.namedPrincipals),
            tokens: service.tokens, audit: service.audit, metrics: metrics, logger: logger)
        let tls = configuration.server.tls
        let clientAuthentication: TLSConfiguration.ClientAuthentication = switch tls.clientAuth {
        case .none: .none
        case .optional: .optional
        case .required: .required
        }
        contexts = try TLSContextProvider(configuration: TLSConfiguration(
            certificateChainPath: tls.certificate, privateKeyPath: tls.privateKey, clientCAPath: tls.clientCA,
            clientAuthentication: clientAuthentication,
            handshakeTimeout: .seconds(configuration.server.readTimeoutSeconds)))
    }

    func makeRouter(for listener: RouteTable.Listener) -> Router<ChartWardenRequestContext> {
        let server = configuration.server
        return Self.makeRouter(for: listener, environment: ServerEnvironment(
            service: service, authenticator: authenticator, policy: AccessPolicy(auth: configuration.auth), metrics: metrics,
            configuration: configuration,
            uploadReader: UploadReader(maxBytes: server.maxUploadBytes, chartField: server.chartFormField,
                                       provenanceField: server.provFormField),
            answers: answers))
    }

    /// The router of one listener over `environment`: middleware, then the route table. Router
    /// tests build it over a real core without listeners.
    static func makeRouter(for listener: RouteTable.Listener, environment: ServerEnvironment)
        -> Router<ChartWardenRequestContext> {
        let router = Router(context: ChartWardenRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: AccessLogMiddleware(level: .info))
        router.add(middleware: MetricsMiddleware(metrics: environment.metrics))
        router.add(middleware: ErrorMiddleware())
        if listener != .withoutAdmin { router.add(middleware: ConsoleHeadersMiddleware()) }
        RouteTable.register(on: router, environment: environment, listener: listener)
        return router
    }

    /// The TLS listeners enforce the read timeout themselves (`RequestTimeoutHandler`, told where
    /// requests end by `RequestBoundaryHandler`); the loopback plaintext listener keeps
    /// Hummingbird's idle timeout.
    private func http1Configuration(tls: Bool) -> HTTP1Channel.Configuration {
        let server = configuration.server
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: tls ? [RequestBoundaryHandler()] : [],
            idleTimeout: tls ? nil : .seconds(Int64(server.readTimeoutSeconds)),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: server.maxHeaderBytes,
                                            maxHeaderListSize: server.maxHeaderBytes, maxHeaderFieldCount: 200))
    }

    /// Every service to run: listeners and the reload handler. `onListening` reports each bound
    /// address (tests and scripts wait for it instead of sleeping).
    public func services(onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in })
        async throws -> [any Service] {
        try await service.warm()
        // New webhooks start at the journal's head before any request can change something.
        try await service.webhooks?.startCursors()
        let adminListen = configuration.server.adminListen
        let router = makeRouter(for: adminListen == nil ? .all : .withoutAdmin)
        let tlsHTTP1 = http1Configuration(tls: true)
        let contexts = self.contexts
        let authenticator = self.authenticator
        let metrics = self.metrics
        let readTimeout = TimeAmount.seconds(Int64(configuration.server.readTimeoutSeconds))
        let maxConnections = configuration.server.maxConnections
        let fastPath = HelmFastPathHandler.Dependencies(service: service, policy: AccessPolicy(auth: configuration.auth),
                                                        answers: answers, metrics: metrics, logger: logger)
        let perAddress = configuration.server.maxConnectionsPerAddress
        let mainLimiter = ConnectionLimiter(limit: maxConnections, perAddressLimit: perAddress)
        let tlsServer = HTTPServerBuilder { responder in
            OpenSSLChildChannel(base: HTTP1Channel(responder: responder, configuration: tlsHTTP1), contexts: contexts,
                                fastPath: fastPath, authenticator: authenticator, readTimeout: readTimeout,
                                limiter: mainLimiter, metrics: metrics)
        }
        let listen = configuration.server.listen
        // ServiceGroup stops services in reverse order: the auditor, listed first, stops last, so
        // its final flush sees the refusals of connections the listeners drained.
        var services: [any Service] = [
            authenticator.certificateRejections,
            Application(router: router, server: tlsServer,
                        configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
                        onServerRunning: { channel in
                            await onListening("https", channel.localAddress?.port ?? listen.port)
                        },
                        logger: logger),
            TLSReloadService(contexts: contexts, logger: logger),
        ]
        // Every repository: stages expire in enforcing ones, OCI uploads in all.
        let ttls = configuration.repositories.map(\.stagingTTLSeconds)
        if let shortest = ttls.min() {
            services.append(StagingSweeper(service: service, interval: .seconds(max(1, min(shortest, 60)))))
        }
        services.append(RetentionSweeper(retention: service.retention))
        // Several replicas on PostgreSQL: follow what the others commit.
        if let replicaSync = service.replicaSync { services.append(replicaSync) }
        if let outbox = service.webhooks {
            services.append(WebhookDeliveryService(outbox: outbox, metrics: metrics,
                                                   logger: Logger(label: "chartwarden.webhooks")))
        }
        if let adminListen {
            let adminLimiter = ConnectionLimiter(limit: maxConnections, perAddressLimit: perAddress)
            let adminServer = HTTPServerBuilder { responder in
                OpenSSLChildChannel(base: HTTP1Channel(responder: responder, configuration: tlsHTTP1), contexts: contexts,
                                    fastPath: nil, authenticator: authenticator, readTimeout: readTimeout,
                                    limiter: adminLimiter, metrics: metrics)
            }
            services.append(Application(
                router: makeRouter(for: .admin), server: adminServer,
                configuration: .init(address: .hostname(adminListen.host, port: adminListen.port), serverName: nil),
                onServerRunning: { channel in
                    await onListening("admin", channel.localAddress?.port ?? adminListen.port)
                },
                logger: logger))
        }
        if let plaintext = configuration.server.plaintextListen {
            services.append(Application(
                router: router, server: .http1(configuration: http1Configuration(tls: false)),
                configuration: .init(address: .hostname(plaintext.host, port: plaintext.port)),
                onServerRunning: { channel in
                    await onListening("http", channel.localAddress?.port ?? plaintext.port)
                },
                logger: logger))
        }
        return services
    }

    /// Runs until SIGTERM/SIGINT, then stops accepting, finishes in-flight requests and returns.
    public func run(onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }) async throws {
        let group = ServiceGroup(configuration: .init(
            services: try await services(onListening: onListening),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

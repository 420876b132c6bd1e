import Hummingbird

/// Every route ChartWarden serves, declared in one table (README, "HTTP API"; docs/ARCHITECTURE.md, "Where to add"). Repository routes are
/// registered twice: under `/{repo}` and at the root for the repository named "".
enum RouteTable {
    enum Scope {
        /// `/PATH`, independent of repositories.
        case global
        /// `/{repo}/PATH` and `/PATH` — the Helm repository protocol.
        case repository
        /// `/api/{repo}/PATH` and `/api/PATH` — the ChartMuseum API.
        case api
        /// `/api/admin/PATH` — on the admin listener when one is configured.
        case admin
        /// `/console/PATH` — the admin console (Server/Console), wherever the admin API is served.
        case console

        /// Served only where the admin API is.
        var isAdmin: Bool { self == .admin || self == .console }
    }

    /// Which routes a listener serves.
    enum Listener {
        /// Everything, the admin API included (no admin listener configured).
        case all
        /// Everything but the admin API, which answers 404 (an admin listener is configured).
        case withoutAdmin
        /// Only the admin API.
        case admin
    }

    typealias Handler = @Sendable (Request, ChartWardenRequestContext, ServerEnvironment) async throws -> Response

    struct Route: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let scope: Scope
        let handler: Handler
    }

    static let routes: [Route] = [
        // Helm repository protocol (HEAD is derived from GET by the router).
        Route(method: .get, path: "index.yaml", scope: .repository, handler: HelmRepositoryHandlers.index),
        Route(method: .get, path: "charts/{file}", scope: .repository, handler: HelmRepositoryHandlers.file),
        // ChartMuseum-compatible API.
        Route(method: .post, path: "charts", scope: .api, handler: ChartAPIHandlers.upload),
        Route(method: .post, path: "prov", scope: .api, handler: ChartAPIHandlers.uploadProvenance),
        Route(method: .get, path: "charts", scope: .api, handler: ChartAPIHandlers.list),
        Route(method: .get, path: "charts/{name}", scope: .api, handler: ChartAPIHandlers.versions),
        Route(method: .get, path: "charts/{name}/{version}", scope: .api, handler: ChartAPIHandlers.version),
        Route(method: .delete, path: "charts/{name}/{version}", scope: .api, handler: ChartAPIHandlers.delete),
        // Operations.
        Route(method: .get, path: "health", scope: .global, handler: SystemHandlers.health),
        Route(method: .get, path: "ready", scope: .global, handler: SystemHandlers.ready),
        Route(method: .get, path: "info", scope: .global, handler: SystemHandlers.info),
        Route(method: .get, path: "metrics", scope: .global, handler: SystemHandlers.metrics),
        // Admin API.
        Route(method: .get, path: "audit", scope: .admin, handler: AdminHandlers.audit),
        Route(method: .get, path: "signers", scope: .admin, handler: AdminProvenanceHandlers.signers),
        Route(method: .post, path: "signers", scope: .admin, handler: AdminProvenanceHandlers.importSigner),
        Route(method: .get, path: "signers/{fingerprint}", scope: .admin, handler: AdminProvenanceHandlers.signer),
        Route(method: .post, path: "signers/{fingerprint}/revocation", scope: .admin, handler: AdminProvenanceHandlers.revoke),
        Route(method: .delete, path: "repositories/{repo}/signers/{fingerprint}", scope: .admin,
              handler: AdminProvenanceHandlers.distrust),
        Route(method: .get, path: "charts/{repo}/{name}/{version}/provenance", scope: .admin,
              handler: AdminProvenanceHandlers.verdict),
        Route(method: .get, path: "charts/{repo}/{name}/{version}/policy", scope: .admin,
              handler: AdminProvenanceHandlers.contentPolicy),
        Route(method: .get, path: "quarantine", scope: .admin, handler: AdminProvenanceHandlers.quarantine),
        Route(method: .post, path: "quarantine/{repo}/{name}/{version}/restore", scope: .admin,
              handler: AdminProvenanceHandlers.restore),
        // Admin console (HTML).
        Route(method: .get, path: "", scope: .console, handler: ConsoleHandlers.home),
        Route(method: .get, path: "style.css", scope: .console, handler: ConsoleHandlers.stylesheet),
        Route(method: .get, path: "repositories", scope: .console, handler: ConsoleHandlers.repositories),
        Route(method: .get, path: "signers", scope: .console, handler: ConsoleHandlers.signers),
        Route(method: .get, path: "signers/{fingerprint}", scope: .console, handler: ConsoleHandlers.signer),
        Route(method: .post, path: "signers/trust", scope: .console, handler: ConsoleActions.trust),
        Route(method: .post, path: "signers/{fingerprint}/trust", scope: .console, handler: ConsoleActions.trustKnown),
        Route(method: .post, path: "signers/{fingerprint}/distrust", scope: .console, handler: ConsoleActions.distrust),
        Route(method: .post, path: "signers/{fingerprint}/revocation", scope: .console, handler: ConsoleActions.revocation),
        Route(method: .get, path: "quarantine", scope: .console, handler: ConsoleHandlers.quarantine),
        Route(method: .post, path: "quarantine/{repo}/{name}/{version}/restore", scope: .console,
              handler: ConsoleActions.restore),
        Route(method: .get, path: "audit", scope: .console, handler: ConsoleHandlers.audit),
        Route(method: .post, path: "tokens", scope: .admin, handler: AdminTokenHandlers.create),
        Route(method: .get, path: "tokens", scope: .admin, handler: AdminTokenHandlers.list),
        Route(method: .delete, path: "tokens/{id}", scope: .admin, handler: AdminTokenHandlers.revoke),
        Route(method: .get, path: "webhooks/deliveries", scope: .admin, handler: AdminWebhookHandlers.deliveries),
    ]

    static func register(on router: Router<ChartWardenRequestContext>, environment: ServerEnvironment,
                         listener: Listener) {
        if listener == .withoutAdmin {
            for method: HTTPRequest.Method in [.get, .head, .post, .put, .patch, .delete] {
                for hidden in ["/api/admin/**", "/console", "/console/**"] {
                    router.on(RouterPath(hidden), method: method) { request, context in
                        try await AdminHandlers.hidden(request, context, environment)
                    }
                }
            }
        }
        if listener != .admin {
            // The OCI distribution API: names of one or two components, parsed by `OCIRoute`.
            for path in ["/v2", "/v2/**"] {
                for method: HTTPRequest.Method in [.get, .head, .post, .put, .patch, .delete] {
                    router.on(RouterPath(path), method: method) { request, context in
                        try await OCIHandlers.handle(request, context, environment)
                    }
                }
            }
        }
        for route in routes where route.scope.isAdmin == (listener == .admin) || listener == .all {
            let paths: [String]
            switch route.scope {
            case .global: paths = ["/" + route.path]
            case .repository: paths = ["/{repo}/" + route.path, "/" + route.path]
            case .api: paths = ["/api/{repo}/" + route.path, "/api/" + route.path]
            case .admin: paths = ["/api/admin/" + route.path]
            case .console: paths = [route.path.isEmpty ? "/console" : "/console/" + route.path]
            }
            for path in paths {
                router.on(RouterPath(path), method: route.method) { request, context in
                    try await route.handler(request, context, environment)
                }
            }
        }
    }
}

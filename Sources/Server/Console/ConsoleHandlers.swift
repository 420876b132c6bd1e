import ChartWardenCore
import Foundation
import Hummingbird
import Storage
import TLS

/// The admin console's pages (README, "Admin console"): server-rendered HTML over the same core
/// calls as the admin API, for `auth.admins` only, with the admin API's authentication.
enum ConsoleHandlers {
    typealias Page = @Sendable (Request, ChartWardenRequestContext, ServerEnvironment, ConsoleSession) async throws -> Response

    /// A console route: authenticates, refuses everyone but global admins, and answers every
    /// error as an HTML page carrying the console's security headers.
    static func guarded(_ page: @escaping Page) -> RouteTable.Handler {
        { request, context, environment in
            var session: ConsoleSession?
            do {
                let principals = try await environment.principals(request, context: context)
                try environment.policy.authorizeAdmin(for: nil, principals: principals)
                let admin = ConsoleSession(principals: principals,
                                           actor: adminActor(principals, certificate: await context.peerIdentity(), environment))
                session = admin
                return try await page(request, context, environment, admin)
            } catch let error as ServiceError {
                if error.status.code >= 500 {
                    context.logger.error("console request failed", metadata: ["error": "\(error.message)"])
                }
                return ConsoleResponse.error(error, session: session, requestID: context.requestID)
            } catch {
                context.logger.error("console request failed", metadata: ["error": "\(error)"])
                return ConsoleResponse.error(ServiceError(.internalError, "\(error)"), session: session,
                                             requestID: context.requestID)
            }
        }
    }

    /// The identity that makes the request an admin, shown and audited as its actor: a client
    /// certificate that is an admin wins over a Basic user who is not (a browser holding the
    /// admin's certificate may also send cached credentials of another user).
    static func adminActor(_ principals: Set<Principal>, certificate: PeerIdentity?, _ environment: ServerEnvironment) -> String {
        let policy = environment.policy
        let user = principals.first { if case .user = $0 { true } else { false } }
        if let user, case .user(let name) = user, policy.isAdmin(policy.principals(for: nil as PeerIdentity?, user: name)) {
            return user.description
        }
        let certificatePrincipals = policy.principals(for: certificate, user: nil)
        if certificate != nil, policy.isAdmin(certificatePrincipals) { return AccessPolicy.actor(certificatePrincipals) }
        return AccessPolicy.actor(principals)
    }

    static let home: RouteTable.Handler = guarded { _, _, _, _ in ConsoleResponse.redirect("/console/repositories") }

    static let stylesheet: RouteTable.Handler = guarded { _, _, _, _ in ConsoleResponse.stylesheet() }

    /// Chart versions a repository section lists per page: the page's size is bounded however
    /// many versions are uploaded (long texts are clipped by `ConsoleViews`).
    static let versionsPerPage = 50

    /// GET /console/repositories[?q=NAME][&repo=REPO&page=N]: each repository's first page, or
    /// page N of one repository; the name filter runs in SQL.
    static let repositories: RouteTable.Handler = guarded { request, _, environment, session in
        let parameters = request.uri.queryParameters
        let query = String((parameters["q"].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "").prefix(200))
        let only = parameters["repo"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let page = max(0, try AdminHandlers.integer(parameters["page"], name: "page") ?? 0)
        guard page <= 1_000_000 else { throw ServiceError(.badRequest, "page is too large") }
        var views: [ConsoleViews.Repository] = []
        for configured in environment.configuration.repositories
        where only == nil || ConsoleViews.pathName(configured.name) == only {
            guard let repository = environment.service.repository(named: configured.name) else { continue }
            let standings = try await environment.service.trust.chartStandings(
                in: repository, nameContains: query.isEmpty ? nil : query, offset: page * versionsPerPage,
                limit: versionsPerPage + 1)
            var charts: [ConsoleViews.Chart] = []
            var versions: [ConsoleViews.Version] = []
            let shown = standings.prefix(versionsPerPage)
            for (index, standing) in shown.enumerated() {
                versions.append(ConsoleViews.version(standing))
                if index == shown.count - 1 || shown[shown.startIndex + index + 1].chart.name != standing.chart.name {
                    charts.append(.init(name: standing.chart.name, versions: versions))
                    versions = []
                }
            }
            var more: String?
            if standings.count > versionsPerPage {
                var components = URLComponents()
                components.path = "/console/repositories"
                components.queryItems = [URLQueryItem(name: "repo", value: ConsoleViews.pathName(configured.name)),
                                         URLQueryItem(name: "page", value: String(page + 1))]
                    + (query.isEmpty ? [] : [URLQueryItem(name: "q", value: query)])
                more = components.string
            }
            views.append(.init(label: ConsoleViews.label(configured.name), charts: charts, hasCharts: !charts.isEmpty, more: more))
        }
        guard only == nil || !views.isEmpty else { throw ServiceError(.notFound, "repository not found") }
        return ConsoleResponse.page("repositories", ConsoleResponse.document(
            "Repositories", section: .repositories, session: session,
            body: ConsoleViews.RepositoriesPage(query: query, searching: !query.isEmpty, repositories: views)))
    }

    /// GET /console/signers
    static let signers: RouteTable.Handler = guarded { _, _, environment, session in
        let summaries = try await environment.service.trust.signerSummaries(nil, withCharts: false)
        return ConsoleResponse.page("signers", ConsoleResponse.document(
            "Signers", section: .signers, session: session,
            body: ConsoleViews.SignersPage(signers: summaries.map(ConsoleViews.signer),
                                           repositoryOptions: repositoryOptions(environment, selected: nil),
                                           trustCSRF: session.csrf("/console/signers/trust"))))
    }

    /// GET /console/signers/{fingerprint}: the key, where it is trusted, every chart it signed
    /// with each one's state, and the forms that change its trust.
    static let signer: RouteTable.Handler = guarded { _, context, environment, session in
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        guard let summary = try await environment.service.trust.signerSummaries([fingerprint], withCharts: true).first else {
            throw ServiceError(.notFound, "signer \(fingerprint) is not known")
        }
        let charts = (summary.charts ?? []).prefix(listLimit).map {
            ConsoleViews.SignerPage.SignedChart(
                repository: ConsoleViews.label($0.repository), name: $0.name, version: $0.version,
                signedAt: ConsoleViews.date($0.signedAt), status: $0.status, statusClass: ConsoleViews.statusClass($0.status))
        }
        let untrusted = repositoryOptions(environment, selected: nil)
            .filter { !summary.repositories.map(ConsoleViews.pathName).contains($0.value) }
        return ConsoleResponse.page("signer", ConsoleResponse.document(
            "Signer \(fingerprint)", section: .signers, session: session,
            body: ConsoleViews.SignerPage(signer: ConsoleViews.signer(summary), charts: charts, trustOptions: untrusted,
                                          hasTrustOptions: !untrusted.isEmpty,
                                          trustKnownCSRF: session.csrf(ConsoleActions.signerPath(summary.fingerprint) + "/trust"),
                                          distrustCSRF: session.csrf(ConsoleActions.signerPath(summary.fingerprint) + "/distrust"),
                                          revocationCSRF: session.csrf(ConsoleActions.signerPath(summary.fingerprint) + "/revocation"))))
    }

    /// GET /console/quarantine
    static let quarantine: RouteTable.Handler = guarded { _, _, environment, session in
        let charts = try await environment.service.trust.quarantinedCharts(repository: nil).prefix(listLimit)
        // When each was quarantined: its newest quarantine event.
        var since: [String: Date] = [:]
        for event in try await environment.service.audit.events(AuditQuery(action: AuditAction.quarantine.rawValue, limit: 1_000)) {
            let key = "\(event.repository ?? "")\u{0}\(event.subject ?? "")"
            if since[key] == nil { since[key] = event.at }
        }
        let entries = charts.map { record in
            let restoreAction = ConsoleViews.restoreAction(repository: record.repository, name: record.name, version: record.version)
            return ConsoleViews.QuarantinePage.Entry(
                repository: ConsoleViews.label(record.repository), name: record.name, version: record.version,
                reason: ConsoleViews.clip(record.statusReason ?? ""), since: ConsoleViews.date(since["\(record.repository)\u{0}\(record.name)-\(record.version)"]),
                uploader: record.uploader, created: ConsoleViews.date(record.created),
                restoreAction: restoreAction, csrf: session.csrf(restoreAction))
        }
        return ConsoleResponse.page("quarantine", ConsoleResponse.document(
            "Quarantine", section: .quarantine, session: session, body: ConsoleViews.QuarantinePage(charts: entries)))
    }

    static let auditPageSize = 50
    /// At most this many rows in the quarantine list and a signer's chart list.
    static let listLimit = 500

    /// GET /console/audit?repo=&action=&outcome=&since=&before=[&limit=] (50 a page unless `limit`, at most 500)
    static let audit: RouteTable.Handler = guarded { request, _, environment, session in
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String? {
            parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        }
        var query = AuditQuery(limit: auditPageSize)
        if let repo = parameter("repo") {
            guard let named = AdminHandlers.repository(named: repo, environment), named.repository != nil else {
                throw ServiceError(.notFound, "repository not found")
            }
            query.repository = named.name
        }
        if let action = parameter("action") {
            guard AuditAction(rawValue: action) != nil else { throw ServiceError(.badRequest, "unknown action \"\(action)\"") }
            query.action = action
        }
        if let outcome = parameter("outcome") {
            guard AuditOutcome(rawValue: outcome) != nil else { throw ServiceError(.badRequest, "unknown outcome \"\(outcome)\"") }
            query.outcome = outcome
        }
        if let since = parameter("since") { query.since = try AdminHandlers.date(since) }
        query.beforeID = try AdminHandlers.integer(parameters["before"], name: "before").map(Int64.init)
        query.limit = max(1, min(try AdminHandlers.integer(parameters["limit"], name: "limit") ?? auditPageSize, 500))
        await environment.authenticator.certificateRejections.flush()
        let events = try await environment.service.audit.events(query)
        var next: String?
        if events.count == query.limit, let last = events.last?.id {
            var components = URLComponents()
            components.path = "/console/audit"
            components.queryItems = ["repo", "action", "outcome", "since", "limit"].compactMap { name in
                parameter(name).map { URLQueryItem(name: name, value: $0) }
            } + [URLQueryItem(name: "before", value: String(last))]
            next = components.string
        }
        let body = ConsoleViews.AuditPage(
            repositoryOptions: repositoryOptions(environment, selected: parameter("repo")),
            actionOptions: AuditAction.allCases.map { .init(value: $0.rawValue, label: $0.rawValue, selected: $0.rawValue == query.action) },
            outcomeOptions: AuditOutcome.allCases.map { .init(value: $0.rawValue, label: $0.rawValue, selected: $0.rawValue == query.outcome) },
            since: parameter("since") ?? "",
            events: events.map { event in
                .init(id: event.id.map(String.init) ?? "", at: ConsoleViews.date(event.at),
                      repository: event.repository.map(ConsoleViews.label) ?? "", actor: ConsoleViews.clip(event.actor),
                      action: event.action.rawValue, outcome: event.outcome.rawValue,
                      outcomeClass: outcomeClass(event.outcome), subject: ConsoleViews.clip(event.subject ?? ""),
                      explanation: AuditExplanation.sentences(event).prefix(20).map { ConsoleViews.clip($0) })
            },
            next: next)
        return ConsoleResponse.page("audit", ConsoleResponse.document("Audit", section: .audit, session: session, body: body))
    }

    static func outcomeClass(_ outcome: AuditOutcome) -> String {
        switch outcome {
        case .rejected, .denied, .rateLimited, .quarantined, .hard, .distrusted: "bad"
        case .soft, .pending, .expired, .dropped, .deleted: "warn"
        default: "ok"
        }
    }

    static func repositoryOptions(_ environment: ServerEnvironment, selected: String?) -> [ConsoleViews.Option] {
        environment.configuration.repositories.map {
            let value = ConsoleViews.pathName($0.name)
            return .init(value: value, label: ConsoleViews.label($0.name), selected: value == selected)
        }
    }
}

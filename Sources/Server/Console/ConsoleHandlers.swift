import ChartWardenCore
import Foundation
import Hummingbird
import Storage

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
                let admin = ConsoleSession(principals: principals)
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

    static let home: RouteTable.Handler = guarded { _, _, _, _ in ConsoleResponse.redirect("/console/repositories") }

    static let stylesheet: RouteTable.Handler = guarded { _, _, _, _ in ConsoleResponse.stylesheet() }

    /// GET /console/repositories[?q=NAME]
    static let repositories: RouteTable.Handler = guarded { request, _, environment, session in
        let query = request.uri.queryParameters["q"].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        var views: [ConsoleViews.Repository] = []
        for configured in environment.configuration.repositories {
            guard let repository = environment.service.repository(named: configured.name) else { continue }
            let standings = try await environment.service.trust.chartStandings(in: repository)
                .filter { query.isEmpty || $0.chart.name.localizedCaseInsensitiveContains(query) }
            var charts: [ConsoleViews.Chart] = []
            for standing in standings {
                if charts.last?.name != standing.chart.name { charts.append(.init(name: standing.chart.name, versions: [])) }
                charts[charts.count - 1] = .init(name: standing.chart.name,
                                                 versions: charts[charts.count - 1].versions + [ConsoleViews.version(standing)])
            }
            views.append(.init(label: ConsoleViews.label(configured.name), charts: charts, hasCharts: !charts.isEmpty))
        }
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
                                           repositoryOptions: repositoryOptions(environment, selected: nil))))
    }

    /// GET /console/signers/{fingerprint}: the key, where it is trusted, every chart it signed
    /// with each one's state, and the forms that change its trust.
    static let signer: RouteTable.Handler = guarded { _, context, environment, session in
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        guard let summary = try await environment.service.trust.signerSummaries([fingerprint], withCharts: true).first else {
            throw ServiceError(.notFound, "signer \(fingerprint) is not known")
        }
        let charts = (summary.charts ?? []).map {
            ConsoleViews.SignerPage.SignedChart(
                repository: ConsoleViews.label($0.repository), name: $0.name, version: $0.version,
                signedAt: ConsoleViews.date($0.signedAt), status: $0.status, statusClass: ConsoleViews.statusClass($0.status))
        }
        let untrusted = repositoryOptions(environment, selected: nil)
            .filter { !summary.repositories.map(ConsoleViews.pathName).contains($0.value) }
        return ConsoleResponse.page("signer", ConsoleResponse.document(
            "Signer \(fingerprint)", section: .signers, session: session,
            body: ConsoleViews.SignerPage(signer: ConsoleViews.signer(summary), charts: charts, trustOptions: untrusted,
                                          hasTrustOptions: !untrusted.isEmpty)))
    }

    /// GET /console/quarantine
    static let quarantine: RouteTable.Handler = guarded { _, _, environment, session in
        let charts = try await environment.service.trust.quarantinedCharts(repository: nil)
        // When each was quarantined: its newest quarantine event.
        var since: [String: Date] = [:]
        for event in try await environment.service.audit.events(AuditQuery(action: AuditAction.quarantine.rawValue, limit: 1_000)) {
            let key = "\(event.repository ?? "")\u{0}\(event.subject ?? "")"
            if since[key] == nil { since[key] = event.at }
        }
        let entries = charts.map { record in
            ConsoleViews.QuarantinePage.Entry(
                repository: ConsoleViews.label(record.repository), name: record.name, version: record.version,
                reason: record.statusReason ?? "", since: ConsoleViews.date(since["\(record.repository)\u{0}\(record.name)-\(record.version)"]),
                uploader: record.uploader, created: ConsoleViews.date(record.created),
                restoreAction: "/console/quarantine/" + [ConsoleViews.pathName(record.repository), record.name, record.version]
                    .map(ConsoleViews.segment).joined(separator: "/") + "/restore")
        }
        return ConsoleResponse.page("quarantine", ConsoleResponse.document(
            "Quarantine", section: .quarantine, session: session, body: ConsoleViews.QuarantinePage(charts: entries)))
    }

    static let auditPageSize = 50

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
                      repository: event.repository.map(ConsoleViews.label) ?? "", actor: event.actor,
                      action: event.action.rawValue, outcome: event.outcome.rawValue,
                      outcomeClass: outcomeClass(event.outcome), subject: event.subject ?? "",
                      explanation: AuditExplanation.sentences(event))
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

import ChartWardenCore
import Foundation
import Hummingbird
import Storage

/// The console's state-changing forms. Each checks the CSRF token first; distrust and revocation
/// take two steps: the first shows exactly which published charts the change would quarantine
/// and changes nothing, the second (`confirm=yes`) applies it through the admin API's calls.
enum ConsoleActions {
    static func readForm(_ request: Request, _ environment: ServerEnvironment, _ session: ConsoleSession)
        async throws(ServiceError) -> ConsoleForm {
        let body = try await environment.uploadReader.readRaw(request)
        let form = try ConsoleForm.parse(body, contentType: request.headers[.contentType])
        try session.requireToken(form)
        return form
    }

    static func signerPath(_ fingerprint: String) -> String { "/console/signers/\(fingerprint)" }

    /// POST /console/signers/{fingerprint}/distrust — repo, quarantine, confirm.
    static let distrust: RouteTable.Handler = ConsoleHandlers.guarded { request, context, environment, session in
        let form = try await readForm(request, environment, session)
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        let repository = try AdminProvenanceHandlers.adminRepository(form["repo"], session.principals, environment)
        let quarantine = form.isSet("quarantine")
        let where_ = "'\(ConsoleViews.label(repository.name))'"
        guard form.isSet("confirm") else {
            let trusted = try await environment.service.trust.signerSummaries([fingerprint], withCharts: false).first?.repositories
            guard trusted?.contains(repository.name) == true else {
                throw ServiceError(.notFound, "\(fingerprint) is not trusted for \(where_)")
            }
            let affected = quarantine
                ? try await environment.service.trust.quarantinePreview(.distrusted(fingerprint, repository: repository.name)) : []
            let summary = quarantine
                ? "Distrust \(fingerprint) for \(where_) and quarantine the charts it signed there that no longer pass."
                : "Distrust \(fingerprint) for \(where_). New uploads it signs are refused there; published charts stay "
                    + "(tick \"also quarantine\" to withdraw them)."
            return confirmation("Confirm distrust", summary: summary, affected: affected,
                                action: signerPath(fingerprint) + "/distrust",
                                hidden: [.init(name: "repo", value: ConsoleViews.pathName(repository.name))]
                                    + (quarantine ? [.init(name: "quarantine", value: "true")] : []),
                                confirmLabel: "Distrust", cancel: signerPath(fingerprint), session: session)
        }
        let quarantined = try await AdminProvenanceHandlers.applyDistrust(
            fingerprint, repository: repository, quarantine: quarantine, actor: session.actor, environment)
        return result("Distrusted", summary: "\(fingerprint) is no longer trusted for \(where_); "
                      + "\(quarantined.count) chart(s) quarantined.", charts: quarantined, back: signerPath(fingerprint),
                      session: session)
    }

    /// POST /console/signers/{fingerprint}/revocation — a certificate file or pasted text (step
    /// one), or the checked certificate carried back by the confirmation form (step two).
    static let revocation: RouteTable.Handler = ConsoleHandlers.guarded { request, context, environment, session in
        let form = try await readForm(request, environment, session)
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        let certificate: [UInt8]
        if let carried = form["certificateBase64"] {
            guard let bytes = Data(base64Encoded: carried) else { throw ServiceError(.badRequest, "the certificate is not base64") }
            certificate = Array(bytes)
        } else if let file = form.files["certificate"], !file.isEmpty {
            certificate = file
        } else if let text = form["certificateText"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            certificate = Array(text.utf8)
        } else {
            throw ServiceError(.badRequest, "choose a revocation certificate file or paste one")
        }
        guard form.isSet("confirm") else {
            let checked = try await environment.service.trust.checkRevocation(fingerprint, certificate: certificate)
            let affected = try await environment.service.trust.quarantinePreview(checked.change)
            let kind = checked.kind == .soft ? "soft (retired: signatures made before it stay valid)"
                : "hard (compromised: no signature by the key is valid)"
            return confirmation("Confirm revocation",
                                summary: "The certificate revokes \(fingerprint): \(kind), dated \(ConsoleViews.date(checked.at)).",
                                affected: affected, action: signerPath(fingerprint) + "/revocation",
                                hidden: [.init(name: "certificateBase64", value: Data(certificate).base64EncodedString())],
                                confirmLabel: "Revoke the key", cancel: signerPath(fingerprint), session: session)
        }
        let (revocation, quarantined) = try await AdminProvenanceHandlers.applyRevocation(
            fingerprint, certificate: certificate, actor: session.actor, environment)
        return result("Revoked", summary: "\(fingerprint) is revoked (\(revocation.isSoft ? "soft" : "hard"), "
                      + "\(ConsoleViews.date(revocation.at))); \(quarantined.count) chart(s) quarantined.",
                      charts: quarantined, back: signerPath(fingerprint), session: session)
    }

    /// POST /console/signers/trust — repo, key (a file), confirm. Trusting quarantines nothing.
    static let trust: RouteTable.Handler = ConsoleHandlers.guarded { request, _, environment, session in
        let form = try await readForm(request, environment, session)
        let repository = try AdminProvenanceHandlers.adminRepository(form["repo"], session.principals, environment)
        guard let key = form.files["key"], !key.isEmpty else { throw ServiceError(.badRequest, "choose a public key file") }
        guard form.isSet("confirm") else {
            throw ServiceError(.badRequest, "tick the confirmation box to trust the key (nothing was changed)")
        }
        let keys = try await environment.service.trust.importKeys(key, trustFor: repository.name, actor: session.actor)
        return result("Trusted", summary: "Trusted for '\(ConsoleViews.label(repository.name))': "
                      + keys.map(\.fingerprint).joined(separator: ", ") + ". No chart was quarantined.",
                      charts: [], back: "/console/signers", session: session)
    }

    /// POST /console/signers/{fingerprint}/trust — repo, confirm: trusts a known key for one more repository.
    static let trustKnown: RouteTable.Handler = ConsoleHandlers.guarded { request, context, environment, session in
        let form = try await readForm(request, environment, session)
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        let repository = try AdminProvenanceHandlers.adminRepository(form["repo"], session.principals, environment)
        guard form.isSet("confirm") else {
            throw ServiceError(.badRequest, "tick the confirmation box to trust the key (nothing was changed)")
        }
        _ = try await environment.service.trust.trustKnownKey(fingerprint, for: repository.name, actor: session.actor)
        return result("Trusted", summary: "\(fingerprint) is trusted for '\(ConsoleViews.label(repository.name))'. "
                      + "No chart was quarantined.", charts: [], back: signerPath(fingerprint), session: session)
    }

    /// POST /console/quarantine/{repo}/{name}/{version}/restore
    static let restore: RouteTable.Handler = ConsoleHandlers.guarded { request, context, environment, session in
        _ = try await readForm(request, environment, session)
        let repository = try AdminProvenanceHandlers.adminRepository(context.parameters.get("repo"), session.principals, environment)
        let name = context.parameters.get("name") ?? ""
        let version = context.parameters.get("version") ?? ""
        try await environment.service.trust.restore(name: name, version: version, in: repository, actor: session.actor)
        return result("Restored", summary: "\(name) \(version) is served again in '\(ConsoleViews.label(repository.name))'.",
                      charts: [], back: "/console/quarantine", session: session)
    }

    static func confirmation(_ title: String, summary: String, affected: [ChartVersionRecord], action: String,
                             hidden: [ConsoleViews.ConfirmPage.Hidden], confirmLabel: String, cancel: String,
                             session: ConsoleSession) -> Response {
        let charts = affected.map(ConsoleViews.affected)
        return ConsoleResponse.page("confirm", ConsoleResponse.document(
            title, section: .signers, session: session,
            body: ConsoleViews.ConfirmPage(summary: summary, charts: charts, hasCharts: !charts.isEmpty, action: action,
                                           hidden: hidden, confirmLabel: confirmLabel, cancel: cancel)))
    }

    static func result(_ title: String, summary: String, charts records: [ChartVersionRecord], back: String,
                       session: ConsoleSession) -> Response {
        let charts = records.map(ConsoleViews.affected)
        return ConsoleResponse.page("result", ConsoleResponse.document(
            title, section: nil, session: session,
            body: ConsoleViews.ResultPage(summary: summary, charts: charts, hasCharts: !charts.isEmpty, back: back)))
    }
}

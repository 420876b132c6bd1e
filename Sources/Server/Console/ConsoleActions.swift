import ChartWardenCore
import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// The console's state-changing forms. Each checks its CSRF token (bound to the form's action)
/// first; distrust and revocation take two steps: the first shows exactly which published charts
/// the change would quarantine and changes nothing, the second (`confirm=yes`, with the preview's
/// nonce over that set) applies it through the admin API's calls, or answers 409 when the set
/// changed since the preview.
enum ConsoleActions {
    static func readForm(_ request: Request, _ environment: ServerEnvironment, _ session: ConsoleSession, action: String)
        async throws(ServiceError) -> ConsoleForm {
        let body = try await environment.uploadReader.readRaw(request)
        let form = try ConsoleForm.parse(body, contentType: request.headers[.contentType])
        try session.requireToken(form, action: action)
        // Defence in depth beside the token: a browser says when a form comes from another site.
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], !["same-origin", "none"].contains(site.lowercased()) {
            throw ServiceError(.forbidden, "a console form must be sent from the console itself")
        }
        return form
    }

    /// What a preview's nonce covers: the change's parameters and the IDs of the charts it listed.
    static func previewSubject(_ parameters: [String], _ affected: [ChartVersionRecord]) -> [String] {
        parameters + [affected.compactMap(\.id).sorted().map(String.init).joined(separator: ",")]
    }

    /// The confirmation step: the nonce must be the one the preview issued for these parameters
    /// and the charts it listed (403 otherwise), and the charts the change quarantines now must
    /// be those (409 otherwise: nothing is changed and the admin reviews again).
    static func requirePreview(_ form: ConsoleForm, action: String, parameters: [String], current: [ChartVersionRecord],
                               session: ConsoleSession) throws(ServiceError) {
        let listed = form["charts"] ?? ""
        guard session.tokens.isValidPreview(form[ConsoleCSRF.previewField], for: session.actor, action: action,
                                            subject: parameters + [listed]) else {
            throw ServiceError(.forbidden, "confirm from the preview page: the confirmation is missing its preview, "
                               + "or the preview expired")
        }
        guard previewSubject(parameters, current).last == listed else {
            throw ServiceError(.conflict, "the set of charts this change would quarantine changed since the preview: "
                               + "nothing was changed, review it again")
        }
    }

    static func previewHidden(action: String, parameters: [String], affected: [ChartVersionRecord],
                              session: ConsoleSession) -> [ConsoleViews.ConfirmPage.Hidden] {
        let subject = previewSubject(parameters, affected)
        return [.init(name: "charts", value: subject.last ?? ""),
                .init(name: ConsoleCSRF.previewField,
                      value: session.tokens.previewNonce(for: session.actor, action: action, subject: subject))]
    }

    static func signerPath(_ fingerprint: String) -> String { "/console/signers/\(fingerprint)" }

    /// POST /console/signers/{fingerprint}/distrust — repo, quarantine, confirm.
    static let distrust: RouteTable.Handler = ConsoleHandlers.guarded { request, context, environment, session in
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        let action = signerPath(fingerprint) + "/distrust"
        let form = try await readForm(request, environment, session, action: action)
        let repository = try AdminProvenanceHandlers.adminRepository(form["repo"], session.principals, environment)
        let quarantine = form.isSet("quarantine")
        let where_ = "'\(ConsoleViews.label(repository.name))'"
        let parameters = [repository.name, quarantine ? "quarantine" : "keep"]
        let preview = { () async throws(ServiceError) -> [ChartVersionRecord] in
            quarantine ? try await environment.service.trust.quarantinePreview(.distrusted(fingerprint, repository: repository.name)) : []
        }
        guard form.isSet("confirm") else {
            let trusted = try await environment.service.trust.signerSummaries([fingerprint], withCharts: false).first?.repositories
            guard trusted?.contains(repository.name) == true else {
                throw ServiceError(.notFound, "\(fingerprint) is not trusted for \(where_)")
            }
            let affected = try await preview()
            let summary = quarantine
                ? "Distrust \(fingerprint) for \(where_) and quarantine the charts it signed there that no longer pass."
                : "Distrust \(fingerprint) for \(where_). New uploads it signs are refused there; published charts stay "
                    + "(tick \"also quarantine\" to withdraw them)."
            return confirmation("Confirm distrust", summary: summary, affected: affected,
                                action: action,
                                hidden: [.init(name: "repo", value: ConsoleViews.pathName(repository.name))]
                                    + (quarantine ? [.init(name: "quarantine", value: "true")] : [])
                                    + previewHidden(action: action, parameters: parameters, affected: affected, session: session),
                                confirmLabel: "Distrust", cancel: signerPath(fingerprint), session: session)
        }
        try requirePreview(form, action: action, parameters: parameters, current: try await preview(), session: session)
        let quarantined = try await AdminProvenanceHandlers.applyDistrust(
            fingerprint, repository: repository, quarantine: quarantine, actor: session.actor, environment)
        return result("Distrusted", summary: "\(fingerprint) is no longer trusted for \(where_); "
                      + "\(quarantined.count) chart(s) quarantined.", charts: quarantined, back: signerPath(fingerprint),
                      session: session)
    }

    /// POST /console/signers/{fingerprint}/revocation — a certificate file or pasted text (step
    /// one), or the checked certificate carried back by the confirmation form (step two).
    static let revocation: RouteTable.Handler = ConsoleHandlers.guarded { request, context, environment, session in
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        let action = signerPath(fingerprint) + "/revocation"
        let form = try await readForm(request, environment, session, action: action)
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
        let checked = try await environment.service.trust.checkRevocation(fingerprint, certificate: certificate)
        let affected = try await environment.service.trust.quarantinePreview(checked.change)
        let parameters = [Data(certificate).base64EncodedString()]
        guard form.isSet("confirm") else {
            let kind = checked.kind == .soft ? "soft (retired: signatures made before it stay valid)"
                : "hard (compromised: no signature by the key is valid)"
            return confirmation("Confirm revocation",
                                summary: "The certificate revokes \(fingerprint): \(kind), dated \(ConsoleViews.date(checked.at)).",
                                affected: affected, action: action,
                                hidden: [.init(name: "certificateBase64", value: Data(certificate).base64EncodedString())]
                                    + previewHidden(action: action, parameters: parameters, affected: affected, session: session),
                                confirmLabel: "Revoke the key", cancel: signerPath(fingerprint), session: session)
        }
        try requirePreview(form, action: action, parameters: parameters, current: affected, session: session)
        let (revocation, quarantined) = try await AdminProvenanceHandlers.applyRevocation(
            fingerprint, certificate: certificate, actor: session.actor, environment)
        return result("Revoked", summary: "\(fingerprint) is revoked (\(revocation.isSoft ? "soft" : "hard"), "
                      + "\(ConsoleViews.date(revocation.at))); \(quarantined.count) chart(s) quarantined.",
                      charts: quarantined, back: signerPath(fingerprint), session: session)
    }

    /// POST /console/signers/trust — repo, key (a file), confirm. Trusting quarantines nothing.
    static let trust: RouteTable.Handler = ConsoleHandlers.guarded { request, _, environment, session in
        let form = try await readForm(request, environment, session, action: "/console/signers/trust")
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
        let fingerprint = try AdminProvenanceHandlers.fingerprint(context)
        let form = try await readForm(request, environment, session, action: signerPath(fingerprint) + "/trust")
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
        // The router does not percent-decode: the form's action encodes what a segment may not hold.
        let decoded = { (name: String) throws(ServiceError) -> String in
            let raw = context.parameters.get(name) ?? ""
            guard let text = raw.removingPercentEncoding, !text.contains("/") else {
                throw ServiceError(.badRequest, "the chart \(name) in the path is not valid")
            }
            return text
        }
        let repo = context.parameters.get("repo") ?? ""
        let name = try decoded("name")
        let version = try decoded("version")
        _ = try await readForm(request, environment, session,
                               action: ConsoleViews.restoreAction(repository: repo, name: name, version: version))
        let repository = try AdminProvenanceHandlers.adminRepository(repo, session.principals, environment)
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
                                           csrf: session.csrf(action), hidden: hidden, confirmLabel: confirmLabel, cancel: cancel)))
    }

    static func result(_ title: String, summary: String, charts records: [ChartVersionRecord], back: String,
                       session: ConsoleSession) -> Response {
        let charts = records.map(ConsoleViews.affected)
        return ConsoleResponse.page("result", ConsoleResponse.document(
            title, section: nil, session: session,
            body: ConsoleViews.ResultPage(summary: summary, charts: charts, hasCharts: !charts.isEmpty, back: back)))
    }
}

import ChartWardenCore
import ContentPolicy
import Foundation
import Hummingbird
import OpenPGP
import Provenance
import Storage

/// Admin routes for signer trust, verdicts and quarantine (README, "HTTP API"). Global views and
/// revocations are for `auth.admins`; per-repository actions also for that repository's
/// delete holders.
enum AdminProvenanceHandlers {
    // MARK: JSON shapes

    struct Verdict: Encodable {
        let repository: String
        let name: String
        let version: String
        let status: String
        let statusReason: String?
        let provenance: Bool
        let verdict: ProvenanceVerdict?
        /// The content-policy verdict that let this chart in, beside the signature verdict.
        let contentPolicy: ContentPolicyVerdict?
    }

    struct ContentVerdicts: Encodable {
        struct Entry: Encodable {
            /// `stored` (it let the chart in) or `refused`.
            let outcome: String
            let at: Date
            let verdict: ContentPolicyVerdict?
        }

        let repository: String
        let name: String
        let version: String
        /// The chart row's status, nil when the version was never stored.
        let status: String?
        /// The repository's policy now (it may differ from the one that judged).
        let mode: String
        let verdicts: [Entry]
    }

    struct QuarantinedChart: Encodable {
        let repository: String
        let name: String
        let version: String
        let reason: String?
        let uploader: String
        let created: Date
    }

    static func respond(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return JSONResponse.make(status, bytes: ByteBuffer(bytes: data))
    }

    // MARK: helpers

    /// The repository a path parameter or `?repo=` names (`_` is the root), checked for admin
    /// rights; hidden repositories answer like missing ones.
    static func adminRepository(_ text: String?, _ principals: Set<Principal>, _ environment: ServerEnvironment)
        throws(ServiceError) -> ChartRepository {
        guard let named = AdminHandlers.repository(named: text, environment) else {
            throw ServiceError(.badRequest, "a repository is required (?repo=NAME, _ for the root repository)")
        }
        if !environment.policy.isAdmin(principals) {
            _ = try environment.policy.authorize(.read, in: named.repository, principals: principals)
        }
        guard let repository = named.repository else { throw ServiceError(.notFound, "repository not found") }
        try environment.policy.authorizeAdmin(for: repository, principals: principals)
        return repository
    }

    static func requireAdmin(_ principals: Set<Principal>, _ environment: ServerEnvironment) throws(ServiceError) {
        try environment.policy.authorizeAdmin(for: nil, principals: principals)
    }

    static func fingerprint(_ context: ChartWardenRequestContext) throws(ServiceError) -> String {
        let text = (context.parameters.get("fingerprint") ?? "").uppercased()
        guard text.count == 40, text.allSatisfy(\.isHexDigit) else {
            throw ServiceError(.badRequest, "a fingerprint is 40 hexadecimal digits")
        }
        return text
    }

    static func readKeyBody(_ request: Request, _ environment: ServerEnvironment) async throws -> [UInt8] {
        let bytes = try await environment.uploadReader.readRaw(request)
        guard !bytes.isEmpty else { throw ServiceError(.badRequest, "the body is empty") }
        return bytes
    }

    // MARK: routes

    /// GET /api/admin/signers
    static func signers(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        try requireAdmin(try await environment.principals(request, context: context), environment)
        return respond(.ok, ["signers": try await environment.service.trust.signerSummaries(nil, withCharts: false)])
    }

    /// GET /api/admin/signers/{fingerprint}
    static func signer(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        try requireAdmin(try await environment.principals(request, context: context), environment)
        let wanted = try fingerprint(context)
        guard let view = try await environment.service.trust.signerSummaries([wanted], withCharts: true).first else {
            throw ServiceError(.notFound, "signer \(wanted) is not known")
        }
        return respond(.ok, view)
    }

    /// POST /api/admin/signers?repo=R — body: a public key, armored or binary.
    static func importSigner(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        let repository = try adminRepository(request.uri.queryParameters["repo"].map(String.init), principals, environment)
        let bytes = try await readKeyBody(request, environment)
        let actor = AccessPolicy.actor(principals)
        let keys = try await environment.service.trust.importKeys(bytes, trustFor: repository.name, actor: actor)
        return respond(.created, ["imported": try await environment.service.trust.signerSummaries(keys.map(\.fingerprint), withCharts: false)])
    }

    /// DELETE /api/admin/repositories/{repo}/signers/{fingerprint}[?quarantine=true]
    static func distrust(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        let repository = try adminRepository(context.parameters.get("repo"), principals, environment)
        let wanted = try fingerprint(context)
        let quarantined = try await applyDistrust(
            wanted, repository: repository, quarantine: ChartAPIHandlers.isTrue(request.uri.queryParameters["quarantine"]),
            actor: AccessPolicy.actor(principals), environment)
        return respond(.ok, Reevaluation(fingerprint: wanted, quarantined: quarantined.map(QuarantinedChart.init)))
    }

    /// Distrusts a key for a repository and, when asked, quarantines what it signed there that no
    /// longer passes. Shared by the admin API and the console.
    static func applyDistrust(_ fingerprint: String, repository: ChartRepository, quarantine: Bool, actor: String,
                              _ environment: ServerEnvironment) async throws(ServiceError) -> [ChartVersionRecord] {
        try await environment.service.trust.distrust(fingerprint, repository: repository.name, actor: actor)
        guard quarantine else { return [] }
        return try await environment.service.trust.reevaluate(
            signer: fingerprint, repository: repository.name, actor: actor, cause: "signer distrusted")
    }

    /// Applies a revocation certificate, then quarantines every chart the key signed that no
    /// longer passes. Shared by the admin API and the console.
    static func applyRevocation(_ fingerprint: String, certificate: [UInt8], actor: String, _ environment: ServerEnvironment)
        async throws(ServiceError) -> (SignerStanding.Revocation, [ChartVersionRecord]) {
        let revocation = try await environment.service.trust.revoke(fingerprint, certificate: certificate, actor: actor)
        let quarantined = try await environment.service.trust.reevaluate(
            signer: fingerprint, repository: nil, actor: actor,
            cause: revocation.isSoft ? "signer key retired" : "signer key revoked")
        return (revocation, quarantined)
    }

    struct Reevaluation: Encodable {
        let fingerprint: String
        let quarantined: [QuarantinedChart]
    }

    /// POST /api/admin/signers/{fingerprint}/revocation — body: a revocation certificate.
    static func revoke(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        try requireAdmin(principals, environment)
        let wanted = try fingerprint(context)
        let bytes = try await readKeyBody(request, environment)
        let (revocation, quarantined) = try await applyRevocation(
            wanted, certificate: bytes, actor: AccessPolicy.actor(principals), environment)
        return respond(.ok, RevocationApplied(
            fingerprint: wanted, kind: revocation.isSoft ? "soft" : "hard", revokedAt: revocation.at,
            quarantined: quarantined.map(QuarantinedChart.init)))
    }

    struct RevocationApplied: Encodable {
        let fingerprint: String
        let kind: String
        let revokedAt: Date
        let quarantined: [QuarantinedChart]
    }

    /// GET /api/admin/charts/{repo}/{name}/{version}/provenance
    static func verdict(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        let repository = try adminRepository(context.parameters.get("repo"), principals, environment)
        let (record, stored) = try await environment.service.trust.provenanceVerdict(
            name: context.parameters.get("name") ?? "", version: context.parameters.get("version") ?? "", in: repository)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let verdict = stored.flatMap { try? decoder.decode(ProvenanceVerdict.self, from: Data($0.checks.utf8)) }
        let (_, contentVerdicts) = try await environment.service.trust.contentVerdicts(
            name: record.name, version: record.version, in: repository)
        let content = contentVerdicts.first { $0.chartVersionID == record.id }.flatMap(decodeContentVerdict)
        return respond(.ok, Verdict(repository: record.repository, name: record.name, version: record.version,
                                    status: record.status.rawValue, statusReason: record.statusReason,
                                    provenance: record.provenanceDigest != nil, verdict: verdict,
                                    contentPolicy: content))
    }

    /// GET /api/admin/charts/{repo}/{name}/{version}/policy — every content verdict for a version,
    /// including refused uploads that left nothing stored.
    static func contentPolicy(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        let repository = try adminRepository(context.parameters.get("repo"), principals, environment)
        let name = context.parameters.get("name") ?? ""
        let version = context.parameters.get("version") ?? ""
        let (record, verdicts) = try await environment.service.trust.contentVerdicts(name: name, version: version, in: repository)
        return respond(.ok, ContentVerdicts(
            repository: repository.name, name: name, version: version,
            status: record.flatMap { $0.status == .deleted ? nil : $0.status.rawValue },
            mode: repository.configuration.contentPolicy.mode.rawValue,
            verdicts: verdicts.map { .init(outcome: $0.refused ? "refused" : "stored", at: $0.createdAt,
                                           verdict: decodeContentVerdict($0)) }))
    }

    static func decodeContentVerdict(_ record: ContentVerdictRecord) -> ContentPolicyVerdict? {
        try? JSONDecoder().decode(ContentPolicyVerdict.self, from: Data(record.verdict.utf8))
    }

    /// GET /api/admin/quarantine[?repo=R]
    static func quarantine(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        var repository: String?
        if let text = request.uri.queryParameters["repo"] {
            repository = try adminRepository(String(text), principals, environment).name
        } else {
            try requireAdmin(principals, environment)
        }
        let charts = try await environment.service.trust.quarantinedCharts(repository: repository)
        return respond(.ok, ["quarantined": charts.map(QuarantinedChart.init)])
    }

    /// POST /api/admin/quarantine/{repo}/{name}/{version}/restore — global admins only: every
    /// quarantine is a judgement on a signer (revoked, retired or distrusted key), which the
    /// delete holders of the repository that holds the chart must not overrule.
    static func restore(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        let repository = try adminRepository(context.parameters.get("repo"), principals, environment)
        guard environment.policy.isAdmin(principals) else {
            throw ServiceError(.forbidden, "only a global admin may restore a chart quarantined for a revoked or "
                + "distrusted signer")
        }
        try await environment.service.trust.restore(
            name: context.parameters.get("name") ?? "", version: context.parameters.get("version") ?? "",
            in: repository, actor: AccessPolicy.actor(principals))
        return JSONResponse.make(.ok, ["restored": true])
    }
}

extension AdminProvenanceHandlers.QuarantinedChart {
    init(_ record: ChartVersionRecord) {
        self.init(repository: record.repository, name: record.name, version: record.version, reason: record.statusReason,
                  uploader: record.uploader, created: record.created)
    }
}

/// What a change journal row records (issue 14: replicas; issue 18: webhooks). The raw values are
/// the CloudEvents `type` names webhooks deliver, so they are stable: cases are added, never renamed.
public enum ChangeEventType: String, Codable, Sendable, CaseIterable {
    case chartPublished = "chart.published"
    case chartOverwritten = "chart.overwritten"
    case chartDeleted = "chart.deleted"
    case chartQuarantined = "chart.quarantined"
    case chartRestored = "chart.restored"
    /// A chart waiting for its prov (a repository that enforces provenance).
    case chartStaged = "chart.staged"
    /// A stage whose prov did not arrive within the repository's TTL.
    case chartStagingExpired = "chart.staging.expired"
    /// A stage that could never be published (another chart took its file name).
    case chartStagingDropped = "chart.staging.dropped"
    /// A prov attached to a chart already published (its `.prov` download appears).
    case chartProvenanceAttached = "chart.provenance.attached"
    case uploadRejected = "upload.rejected"
    case signerTrusted = "signer.trusted"
    case signerDistrusted = "signer.distrusted"
    case signerRevoked = "signer.revoked"
    /// A signer's key material changed (imported, or a revocation adopted): replicas re-import it.
    case signerKeyUpdated = "signer.key.updated"
    /// A row whose type this build does not know (written by a newer build during a rolling
    /// upgrade): read as "something changed", never a reason to stop reading the journal.
    case unrecognized = "unrecognized"

    /// The type named `name`, `.unrecognized` for a name this build does not know.
    public init(stored name: String) {
        self = ChangeEventType(rawValue: name) ?? .unrecognized
    }

    /// Whether the event changes trust everywhere (no repository): replicas then re-import the
    /// keys and re-read what trust caches.
    public var isTrustWide: Bool {
        switch self {
        case .signerRevoked, .signerKeyUpdated: true
        default: false
        }
    }

    /// Whether the event changes which charts a repository serves (re-read that chart's row).
    public var changesChart: Bool {
        switch self {
        case .uploadRejected, .signerTrusted, .signerDistrusted, .signerRevoked, .signerKeyUpdated: false
        default: true
        }
    }

    /// The journal type of an audited change: nil for what changes nothing stored (logins,
    /// tokens, an unchanged re-upload). Pure; each store's change transaction asks it of the
    /// audit event it writes.
    public init?(action: AuditAction, outcome: AuditOutcome) {
        switch (action, outcome) {
        case (.upload, .active), (.supersede, .active), (.provenance, .published): self = .chartPublished
        case (.upload, .pending): self = .chartStaged
        case (.upload, .rejected): self = .uploadRejected
        case (.overwrite, .active): self = .chartOverwritten
        case (.provenance, .stored): self = .chartProvenanceAttached
        case (.delete, _): self = .chartDeleted
        case (.stage, .expired): self = .chartStagingExpired
        case (.stage, _): self = .chartStagingDropped
        case (.quarantine, _), (_, .quarantined): self = .chartQuarantined
        case (.restore, _): self = .chartRestored
        case (.trust, _): self = .signerTrusted
        case (.distrust, _): self = .signerDistrusted
        case (.revoke, _): self = .signerRevoked
        default: return nil
        }
    }

    /// The type of a chart row change made without an audit event (or one that names no
    /// change): what the row's new status says.
    public init(reaching status: ChartStatus?) {
        self = switch status {
        case .active: .chartPublished
        case .pending: .chartStaged
        case .quarantined: .chartQuarantined
        case .deleted: .chartDeleted
        case nil: .chartStagingDropped
        }
    }
}

import Foundation

/// One row of the change journal: written in the same transaction as the change it records, by
/// every change path of both stores (`JournalEntry`). Replicas catch up from it (issue 14) and
/// webhooks deliver from it (issue 18).
///
/// `id` grows by one per committed change, in commit order, with no gap a later commit could
/// fill: a reader that has seen every id up to N never gets a row with an id ≤ N later. (The
/// PostgreSQL store takes the id from a counter row locked until the commit; SQLite has one
/// writer.) `generation` is the repository's own counter (the trust counter for events without a
/// repository), bumped by the same transaction.
public struct ChangeEvent: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var type: ChangeEventType
    /// Nil for trust-wide events (a revocation, key material).
    public var repository: String?
    public var generation: Int64
    public var name: String?
    public var version: String?
    /// The signer of a trust event.
    public var fingerprint: String?
    public var actor: String?
    /// Small JSON (the audit detail: failed checks, violations, signer, reasons), written only by
    /// `StoredJSON`; nil when there is nothing to say.
    public var data: String?

    public init(id: Int64, at: Date, type: ChangeEventType, repository: String?, generation: Int64, name: String?,
                version: String?, fingerprint: String?, actor: String?, data: String?) {
        self.id = id
        self.at = at
        self.type = type
        self.repository = repository
        self.generation = generation
        self.name = name
        self.version = version
        self.fingerprint = fingerprint
        self.actor = actor
        self.data = data
    }
}

/// What a change transaction journals, before the store gives it its id and generation.
public struct JournalEntry: Sendable, Equatable {
    public var type: ChangeEventType
    public var repository: String?
    public var name: String?
    public var version: String?
    public var fingerprint: String?
    public var actor: String?
    public var data: String?

    public init(type: ChangeEventType, repository: String?, name: String? = nil, version: String? = nil,
                fingerprint: String? = nil, actor: String? = nil, data: String? = nil) {
        self.type = type
        self.repository = type.isTrustWide ? nil : repository
        self.name = name
        self.version = version
        self.fingerprint = fingerprint
        self.actor = actor
        self.data = data
    }

    /// The entry of a chart row change: typed by its audit event when that names a change, else
    /// by the status the row reaches.
    public static func chart(_ name: String, _ version: String, repository: String, reaching status: ChartStatus?,
                             audit: AuditEvent?) -> JournalEntry {
        let type = audit.flatMap { ChangeEventType(action: $0.action, outcome: $0.outcome) }
            ?? ChangeEventType(reaching: status)
        return JournalEntry(type: type, repository: repository, name: name, version: version, actor: audit?.actor,
                            data: audit?.detail)
    }

    /// The entry of a trust change (`fallback` when the audit event names none, or there is none).
    public static func signer(_ fingerprint: String, repository: String?, fallback: ChangeEventType,
                              audit: AuditEvent?) -> JournalEntry {
        let type = audit.flatMap { ChangeEventType(action: $0.action, outcome: $0.outcome) } ?? fallback
        return JournalEntry(type: type, repository: repository, fingerprint: fingerprint, actor: audit?.actor,
                            data: audit?.detail)
    }

    /// The entry of an audit event written alone, when it records a change: a subkey's
    /// revocation (the key stands, GnuPG's copy changed). Nil otherwise (refused uploads are
    /// journaled with their verdict, by `appendVerdict` and `appendContentVerdict`).
    public static func alone(_ audit: AuditEvent) -> JournalEntry? {
        guard ChangeEventType(action: audit.action, outcome: audit.outcome) == .signerRevoked else { return nil }
        return JournalEntry(type: .signerRevoked, repository: nil, fingerprint: audit.subject, actor: audit.actor,
                            data: audit.detail)
    }

    /// The entry of a refused upload, with its verdict's chart.
    public static func rejected(repository: String, name: String, version: String, audit: AuditEvent?) -> JournalEntry? {
        guard let audit, ChangeEventType(action: audit.action, outcome: audit.outcome) == .uploadRejected else { return nil }
        return JournalEntry(type: .uploadRejected, repository: repository, name: name, version: version, actor: audit.actor,
                            data: audit.detail)
    }
}

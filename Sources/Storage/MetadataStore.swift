import Foundation

/// Chart and audit metadata. A protocol so that PostgreSQL can stand behind it when ChartWarden
/// runs as several replicas; callers rely on nothing SQLite-specific.
public protocol MetadataStore: APITokenStore, OCIMetadataStore, StoreCoordination, WebhookDeliveryStore {
    func ensureRepository(_ name: String) throws(StorageError)
    /// Inserts a chart version in one transaction, together with its audit event. A second row
    /// for the same (repository, name, version), or a live row whose file name `N-V.tgz` another
    /// live row already owns, fails with `.conflict` naming the owner.
    /// Verdicts given are stored in the same transaction, linked to the new row, and so is the
    /// version's OCI `manifest` (kept as it is when the same digest is stored already).
    func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?, verdict: ProvenanceVerdictRecord?,
                     contentVerdict: ContentVerdictRecord?, manifest: OCIManifestRecord?) throws(StorageError) -> ChartVersionRecord
    func chart(repository: String, name: String, version: String) throws(StorageError) -> ChartVersionRecord?
    func charts(repository: String, statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord]
    /// One page of `charts(repository:statuses:)` (same order), only the names containing
    /// `nameContains` (case-insensitive): what the console lists, bounded whatever the uploads.
    func charts(repository: String, statuses: Set<ChartStatus>, nameContains: String?, offset: Int, limit: Int)
        throws(StorageError) -> [ChartVersionRecord]
    /// Replaces the row `id` (a forced overwrite, a signed upload superseding a stage, or a
    /// re-upload over a deleted version) in one transaction with its audit event and verdicts;
    /// earlier verdicts are unlinked. With `expecting`, fails with `.conflict` unless the row
    /// still has that status. A file name owned by another live row is a `.conflict`. The OCI
    /// manifests of the replaced bytes go and `manifest` is stored, in the same transaction.
    func replaceChart(id: Int64, expecting: ChartStatus?, with record: ChartVersionRecord, audit: AuditEvent?, verdict: ProvenanceVerdictRecord?,
                      contentVerdict: ContentVerdictRecord?, manifest: OCIManifestRecord?) throws(StorageError) -> ChartVersionRecord
    /// Attaches a prov to row `id` while it still has `expecting`'s status and digest (the bytes
    /// the prov was verified against); `activate` also publishes a staged chart, in the same
    /// transaction. A row changed meanwhile is a `.conflict`, a row gone `.notFound`; a stage
    /// whose file name a live row took meanwhile is `.fileNameTaken`.
    func setProvenance(id: Int64, digest: String, expecting: ChartVersionRecord, activate: Bool, audit: AuditEvent?,
                       verdict: ProvenanceVerdictRecord?) throws(StorageError)
    /// Removes a row for good (an expired or dropped stage), with its audit event. With `onlyIf`,
    /// only while the row is still that record (same status, upload time and digest: a stage
    /// published or re-staged meanwhile stays); returns whether it went.
    func deleteChart(id: Int64, onlyIf expected: ChartVersionRecord?, audit: AuditEvent?) throws(StorageError) -> Bool
    /// Whether any row still references the blob `digest` (as chart or prov).
    func isBlobReferenced(_ digest: String) throws(StorageError) -> Bool
    /// Every blob digest a row references (as chart or prov), in any status: what a sweep of
    /// orphan blobs must keep. Read in one snapshot.
    func referencedBlobDigests() throws(StorageError) -> Set<String>
    /// Retention (README, "Audit log and retention"). Deletes, oldest first, at most `limit` rows
    /// of history older than `cutoff`, in one short write transaction: audit events, and
    /// provenance and content verdicts no chart row links to (verdicts of refused uploads and of
    /// replaced bytes). A verdict a chart row links to stays whatever its age; chart rows are not
    /// touched. Returns how many rows went; a caller repeats while it equals `limit`, one
    /// transaction per call, so other writers get the database between batches.
    func pruneHistory(olderThan cutoff: Date, limit: Int) throws(StorageError) -> Int
    func updateStatus(id: Int64, to status: ChartStatus, reason: String?) throws(StorageError)
    /// A version set to `.deleted` loses its OCI manifests (and so its tag) in the same transaction.
    func updateStatus(id: Int64, to status: ChartStatus, reason: String?, audit: AuditEvent?) throws(StorageError)
    /// Every chart row in `statuses` at once, grouped by repository, each repository's rows in
    /// (name, id) order: what the in-memory indexes are built from at start.
    func bulkLoadCharts(statuses: Set<ChartStatus>) throws(StorageError) -> [String: [ChartVersionRecord]]
    /// The stored index renderings of the rows in `statuses`, by row id, in one statement (start-up).
    func bulkLoadIndexFragments(statuses: Set<ChartStatus>) throws(StorageError) -> [Int64: StoredIndexFragment]
    /// Stores (or replaces) renderings of existing rows, in one transaction; rows gone meanwhile are skipped.
    func storeIndexFragments(_ fragments: [(id: Int64, fragment: StoredIndexFragment)]) throws(StorageError)
    func appendAudit(_ event: AuditEvent) throws(StorageError)
    /// Newest first, filtered; `beforeID` pages backwards.
    func auditEvents(_ query: AuditQuery) throws(StorageError) -> [AuditEvent]

    // Signer trust (README, "Provenance"): which key may sign for which repository, and revocations.
    /// Inserts or refreshes a key's description; a recorded revocation is kept.
    func upsertSigner(_ signer: SignerRecord) throws(StorageError)
    func signer(_ fingerprint: String) throws(StorageError) -> SignerRecord?
    func signers() throws(StorageError) -> [SignerRecord]
    /// Returns false when the trust already existed.
    func trust(_ trust: RepositoryTrustRecord, audit: AuditEvent?) throws(StorageError) -> Bool
    /// Returns false when there was no such trust.
    func distrust(repository: String, fingerprint: String, audit: AuditEvent?) throws(StorageError) -> Bool
    func trustedRepositories(_ fingerprint: String) throws(StorageError) -> [String]
    /// Monotone: hard is never replaced by soft, and for the same kind the earliest date stays.
    func recordRevocation(_ fingerprint: String, at: Date, kind: SignerRecord.RevocationKind, audit: AuditEvent?)
        throws(StorageError)
    /// A verdict that let nothing in (a rejection), with its audit event, in one transaction.
    func appendVerdict(_ verdict: ProvenanceVerdictRecord, audit: AuditEvent?) throws(StorageError)
    func appendVerdict(_ verdict: ProvenanceVerdictRecord) throws(StorageError)
    /// The newest verdict recorded for a stored chart row.
    func verdict(chartVersionID: Int64) throws(StorageError) -> ProvenanceVerdictRecord?
    /// A content verdict that let nothing in (a refusal), with its audit event, in one transaction.
    func appendContentVerdict(_ verdict: ContentVerdictRecord, audit: AuditEvent?) throws(StorageError)
    /// Every content verdict recorded for one chart version, stored or refused, newest first.
    func contentVerdicts(repository: String, name: String, version: String) throws(StorageError) -> [ContentVerdictRecord]
    /// Charts in `statuses` whose current verdict names `fingerprint` as signer (all signers when nil).
    func signedCharts(by fingerprint: String?, repository: String?, statuses: Set<ChartStatus>)
        throws(StorageError) -> [SignedChart]

    // Key material, for stores that are the only durable copy of trust (PostgreSQL: every
    // replica rebuilds its GnuPG home from them). The defaults keep nothing: the embedded store's
    // GnuPG home is durable in its data directory.
    /// Stores (or replaces) the armored key of `key.fingerprint`, revocations included.
    func storeSignerKey(_ key: SignerKeyRecord) throws(StorageError)
    /// Every stored key, to import into a fresh GnuPG home.
    func signerKeys() throws(StorageError) -> [SignerKeyRecord]
    /// Replaces the stored key of `fingerprint` with what `merge` makes of the stored copy (nil
    /// when none), one writer per key at a time across replicas: the caller merges the stored
    /// copy into its keyring first, so a revocation another replica stored is never overwritten.
    func mergeSignerKey(_ fingerprint: String, _ merge: (String?) throws -> String) throws(StorageError)

    // The change journal (`ChangeEvent`): every change above writes its row in its own
    // transaction (publish, overwrite, delete, quarantine, restore, stages and their expiry,
    // trust, distrust, revocation, key material, refused uploads). Retention (`pruneHistory`)
    // prunes it with the audit log.
    /// Journal rows with an id above `id`, oldest first, at most `limit`. Ids are gap-free in
    /// commit order: no row with an id at or below the last one read commits later.
    func events(after id: Int64, limit: Int) throws(StorageError) -> [ChangeEvent]
    /// The newest journal id ever given (0 before the first change), pruned rows included:
    /// where a reader that has just loaded the current state starts.
    func latestEventID() throws(StorageError) -> Int64
    /// Each repository's generation: how many changes the journal recorded for it.
    func generations() throws(StorageError) -> [String: Int64]
}

/// A filter over the audit log. Nil fields do not filter.
public struct AuditQuery: Sendable, Equatable {
    public var repository: String?
    public var outcome: String?
    public var action: String?
    public var since: Date?
    public var beforeID: Int64?
    public var limit: Int

    public init(repository: String? = nil, outcome: String? = nil, action: String? = nil, since: Date? = nil,
                beforeID: Int64? = nil, limit: Int = 100) {
        self.repository = repository
        self.outcome = outcome
        self.action = action
        self.since = since
        self.beforeID = beforeID
        self.limit = limit
    }
}

extension MetadataStore {
    public func storeSignerKey(_ key: SignerKeyRecord) throws(StorageError) {}

    /// Stores without a rendering cache keep nothing: every start renders every row.
    public func bulkLoadIndexFragments(statuses: Set<ChartStatus>) throws(StorageError) -> [Int64: StoredIndexFragment] { [:] }

    public func storeIndexFragments(_ fragments: [(id: Int64, fragment: StoredIndexFragment)]) throws(StorageError) {}

    public func signerKeys() throws(StorageError) -> [SignerKeyRecord] { [] }

    public func mergeSignerKey(_ fingerprint: String, _ merge: (String?) throws -> String) throws(StorageError) {
        let armored: String
        do {
            armored = try merge(nil)
        } catch {
            throw StorageError(.io, "cannot merge the key material of \(fingerprint): \(error)")
        }
        try storeSignerKey(SignerKeyRecord(fingerprint: fingerprint, armored: armored))
    }

    public func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?,
                            verdict: ProvenanceVerdictRecord? = nil) throws(StorageError) -> ChartVersionRecord {
        try insertChart(record, audit: audit, verdict: verdict, contentVerdict: nil, manifest: nil)
    }

    public func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?, verdict: ProvenanceVerdictRecord?,
                            contentVerdict: ContentVerdictRecord?) throws(StorageError) -> ChartVersionRecord {
        try insertChart(record, audit: audit, verdict: verdict, contentVerdict: contentVerdict, manifest: nil)
    }

    public func replaceChart(id: Int64, with record: ChartVersionRecord, audit: AuditEvent?,
                             verdict: ProvenanceVerdictRecord? = nil) throws(StorageError) -> ChartVersionRecord {
        try replaceChart(id: id, expecting: nil, with: record, audit: audit, verdict: verdict, contentVerdict: nil, manifest: nil)
    }

    public func replaceChart(id: Int64, expecting: ChartStatus?, with record: ChartVersionRecord, audit: AuditEvent?,
                             verdict: ProvenanceVerdictRecord?, contentVerdict: ContentVerdictRecord?)
        throws(StorageError) -> ChartVersionRecord {
        try replaceChart(id: id, expecting: expecting, with: record, audit: audit, verdict: verdict,
                         contentVerdict: contentVerdict, manifest: nil)
    }

    public func deleteChart(id: Int64, audit: AuditEvent?) throws(StorageError) {
        _ = try deleteChart(id: id, onlyIf: nil, audit: audit)
    }

    public func auditEvents(repository: String?, limit: Int) throws(StorageError) -> [AuditEvent] {
        try auditEvents(AuditQuery(repository: repository, limit: limit))
    }
}

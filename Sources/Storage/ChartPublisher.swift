import ChartModel
import Foundation
import OpenSSLSupport

/// Stores a chart in the order that makes crashes harmless: the blobs (chart, then prov) are made
/// durable first, then the metadata row is committed in one transaction. A crash between the two
/// leaves unreferenced blobs (invisible, reclaimable), never a row pointing at missing bytes.
public struct ChartPublisher: Sendable {
    public let blobs: any BlobStore
    public let metadata: any MetadataStore
    /// Test seam: runs after the blob is durable and before the metadata transaction, so tests can
    /// stand in for a crash at the one point where the two stores disagree.
    var afterBlobDurable: @Sendable () throws -> Void = {}
    /// Shared with whoever deletes blobs (the staging sweeper), so no blob is reclaimed while a
    /// publish that uses it is between its blob write and its commit.
    public let inFlight: InFlightBlobs

    public init(blobs: any BlobStore, metadata: any MetadataStore, inFlight: InFlightBlobs = InFlightBlobs()) {
        self.blobs = blobs
        self.metadata = metadata
        self.inFlight = inFlight
    }

    /// Publishes a new version, or replaces `replacing` (forced overwrite, or a version that was
    /// deleted), with the provenance and content verdicts that let it in, and the OCI `manifest`
    /// planned for it, all in one transaction. Conflicts with an existing row surface as
    /// `StorageError.conflict`.
    public func publish(archive: [UInt8], provenance: [UInt8]? = nil, chart: ChartMetadata, repository: String,
                        uploader: String, status: ChartStatus = .active, replacing: ChartVersionRecord? = nil,
                        verdict: ProvenanceVerdictRecord? = nil, contentVerdict: ContentVerdictRecord? = nil,
                        auditDetail: AuditDetail? = nil, manifest: OCIManifestPlan? = nil,
                        created: Date = Date()) throws -> ChartVersionRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadataJSON = String(decoding: try encoder.encode(chart), as: UTF8.self)
        let config = manifest.map { $0.config ?? Array(metadataJSON.utf8) }
        let expected = [SHA256Hasher.hash(archive)] + (provenance.map { [SHA256Hasher.hash($0)] } ?? [])
            + (config.map { [SHA256Hasher.hash($0)] } ?? [])
        return try inFlight.holding(expected) {
            try store(archive: archive, provenance: provenance, metadataJSON: metadataJSON, chart: chart,
                      repository: repository, uploader: uploader, status: status, replacing: replacing, verdict: verdict,
                      contentVerdict: contentVerdict, auditDetail: auditDetail, manifest: manifest.map { ($0, config ?? []) },
                      created: created)
        }
    }

    /// Reclaims the blobs of a removed row (an expired or superseded stage) that nothing else uses.
    public func reclaim(_ hexes: [String]) throws(StorageError) {
        try inFlight.reclaim(hexes.compactMap(SHA256Digest.init(hex:)), blobs: blobs, metadata: metadata)
    }

    /// Deletes the blobs nothing references (crash debris), sparing those a publish holds.
    @discardableResult
    public func sweepOrphans() throws(StorageError) -> [SHA256Digest] {
        try inFlight.sweepOrphans(blobs: blobs, metadata: metadata)
    }

    private func store(archive: [UInt8], provenance: [UInt8]?, metadataJSON: String, chart: ChartMetadata, repository: String,
                       uploader: String, status: ChartStatus, replacing: ChartVersionRecord?,
                       verdict: ProvenanceVerdictRecord?, contentVerdict: ContentVerdictRecord?, auditDetail: AuditDetail?,
                       manifest: (plan: OCIManifestPlan, config: [UInt8])?, created: Date) throws -> ChartVersionRecord {
        let digest = try blobs.write(archive)
        let provenanceDigest = try provenance.map { bytes throws(StorageError) in try blobs.write(bytes) }
        if let manifest { _ = try blobs.write(manifest.config) }
        try afterBlobDurable()
        let record = ChartVersionRecord(
            repository: repository, name: chart.name, version: chart.version, digest: digest.hex,
            size: Int64(archive.count), created: created, uploader: uploader, status: status,
            metadata: metadataJSON, provenanceDigest: provenanceDigest?.hex)
        let audit = AuditEvent(at: created, repository: repository, actor: uploader,
                               action: Self.action(replacing: replacing?.status),
                               outcome: AuditOutcome(status), subject: "\(chart.name)-\(chart.version)",
                               detail: try auditDetail ?? (provenanceDigest == nil ? nil : AuditDetail(ProvenanceDetail())))
        let manifestRecord = try manifest.map { try $0.plan.make(record) }
        if let replacing, let id = replacing.id {
            return try metadata.replaceChart(id: id, expecting: replacing.status, with: record, audit: audit,
                                             verdict: verdict, contentVerdict: contentVerdict, manifest: manifestRecord)
        }
        return try metadata.insertChart(record, audit: audit, verdict: verdict, contentVerdict: contentVerdict,
                                        manifest: manifestRecord)
    }

    /// Audit detail of an upload that came with a prov, when the caller gives none.
    struct ProvenanceDetail: Encodable {
        let provenance = true
    }

    /// The audit action of a publish: a new version, a forced overwrite, or a signed upload that
    /// supersedes another writer's stage.
    static func action(replacing: ChartStatus?) -> AuditAction {
        switch replacing {
        case .active: .overwrite
        case .pending: .supersede
        default: .upload
        }
    }
}

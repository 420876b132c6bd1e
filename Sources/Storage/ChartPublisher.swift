import ChartModel
import Foundation
import OpenSSLSupport

/// Stores a chart in the order that makes crashes harmless: the blob is made durable first, then
/// the metadata row is committed in one transaction. A crash between the two leaves an
/// unreferenced blob (invisible, reclaimable), never a row pointing at missing bytes.
public struct ChartPublisher: Sendable {
    public let blobs: any BlobStore
    public let metadata: any MetadataStore
    /// Test seam: runs after the blob is durable and before the metadata transaction, so tests can
    /// stand in for a crash at the one point where the two stores disagree.
    var afterBlobDurable: @Sendable () throws -> Void = {}

    public init(blobs: any BlobStore, metadata: any MetadataStore) {
        self.blobs = blobs
        self.metadata = metadata
    }

    public func publish(archive: [UInt8], chart: ChartMetadata, repository: String, uploader: String,
                        status: ChartStatus = .active, created: Date = Date()) throws -> ChartVersionRecord {
        let digest = try blobs.write(archive)
        try afterBlobDurable()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadataJSON = String(decoding: try encoder.encode(chart), as: UTF8.self)
        let record = ChartVersionRecord(
            repository: repository, name: chart.name, version: chart.version, digest: digest.hex,
            size: Int64(archive.count), created: created, uploader: uploader, status: status,
            metadata: metadataJSON)
        let audit = AuditEvent(at: created, repository: repository, actor: uploader, action: "upload",
                               outcome: status.rawValue, subject: "\(chart.name)-\(chart.version)")
        return try metadata.insertChart(record, audit: audit)
    }
}

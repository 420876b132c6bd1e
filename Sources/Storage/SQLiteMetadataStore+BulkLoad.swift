import Foundation
import GRDB

extension SQLiteMetadataStore {
    /// Every chart row in `statuses`, grouped by repository, in one statement read through one
    /// cursor: what the index needs at start, 100,000 rows without a query or a `Codable` decode
    /// per row. Each repository's rows come in (name, id) order, as `charts(repository:statuses:)`.
    public func bulkLoadCharts(statuses: Set<ChartStatus>) throws(StorageError) -> [String: [ChartVersionRecord]] {
        try read { db in
            var byRepository: [String: [ChartVersionRecord]] = [:]
            let placeholders = Array(repeating: "?", count: statuses.count).joined(separator: ",")
            let statement = try db.cachedStatement(sql: """
                SELECT id, repository, name, version, digest, size, created, uploader, status, statusReason,
                       metadata, provenanceDigest
                FROM chart_versions WHERE status IN (\(placeholders.isEmpty ? "NULL" : placeholders))
                ORDER BY repository, name, id
                """)
            let rows = try Row.fetchCursor(statement, arguments: StatementArguments(statuses.map(\.rawValue).sorted()))
            while let row = try rows.next() {
                let statusText: String = row[8]
                guard let status = ChartStatus(rawValue: statusText) else {
                    throw StorageError(.io, "chart row \(row[0] as Int64) has an unknown status '\(statusText)'")
                }
                let record = ChartVersionRecord(
                    id: row[0], repository: row[1], name: row[2], version: row[3], digest: row[4], size: row[5],
                    created: row[6], uploader: row[7], status: status, statusReason: row[9], metadata: row[10],
                    provenanceDigest: row[11])
                byRepository[record.repository, default: []].append(record)
            }
            return byRepository
        }
    }
}

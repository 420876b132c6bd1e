import Foundation
import PostgresNIO
import Storage

/// Stored index renderings (`index_fragments`, migration 6), as `SQLiteMetadataStore+IndexFragments`.
extension PostgresMetadataStore {
    public func bulkLoadIndexFragments(statuses: Set<ChartStatus>) throws(StorageError) -> [Int64: StoredIndexFragment] {
        try database.withConnection { session throws(StorageError) in
            var fragments: [Int64: StoredIndexFragment] = [:]
            for row in try session.query("""
                SELECT f.chart_version_id, f.render_key, f.item, f.api_json
                FROM index_fragments f JOIN chart_versions c ON c.id = f.chart_version_id
                WHERE c.status = ANY(\(statuses.map(\.rawValue)))
                """) {
                let read = PostgresRows.Reader(row)
                let item: ByteBuffer = try read("item")
                let apiJSON: ByteBuffer? = try read("api_json")
                fragments[try read("chart_version_id", as: Int64.self)] = StoredIndexFragment(
                    renderKey: try read("render_key"), item: Array(item.readableBytesView),
                    apiJSON: apiJSON.map { Array($0.readableBytesView) })
            }
            return fragments
        }
    }

    public func storeIndexFragments(_ fragments: [(id: Int64, fragment: StoredIndexFragment)]) throws(StorageError) {
        guard !fragments.isEmpty else { return }
        try database.transaction { session throws(StorageError) in
            // Up to 1,000 rows per statement (4 parameters each, far below PostgreSQL's 65,535):
            // a first start stores 100,000 renderings in 100 round trips, not 100,000.
            for start in stride(from: 0, to: fragments.count, by: 1_000) {
                let batch = fragments[start..<min(start + 1_000, fragments.count)]
                var bindings = PostgresBindings(capacity: batch.count * 4)
                var rows: [String] = []
                rows.reserveCapacity(batch.count)
                for (offset, (id, fragment)) in batch.enumerated() {
                    let first = offset * 4 + 1
                    rows.append("($\(first)::bigint, $\(first + 1)::text, $\(first + 2)::bytea, $\(first + 3)::bytea)")
                    bindings.append(id)
                    bindings.append(fragment.renderKey)
                    bindings.append(ByteBuffer(bytes: fragment.item))
                    bindings.append(fragment.apiJSON.map { ByteBuffer(bytes: $0) })
                }
                try session.execute(PostgresQuery(unsafeSQL: """
                    INSERT INTO index_fragments (chart_version_id, render_key, item, api_json)
                    SELECT v.id, v.render_key, v.item, v.api_json
                    FROM (VALUES \(rows.joined(separator: ", "))) AS v (id, render_key, item, api_json)
                    WHERE EXISTS (SELECT 1 FROM chart_versions c WHERE c.id = v.id)
                    ON CONFLICT (chart_version_id) DO UPDATE
                    SET render_key = excluded.render_key, item = excluded.item, api_json = excluded.api_json
                    """, binds: bindings))
            }
        }
    }
}

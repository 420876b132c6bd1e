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
            for (id, fragment) in fragments {
                let item = ByteBuffer(bytes: fragment.item)
                let apiJSON = fragment.apiJSON.map { ByteBuffer(bytes: $0) }
                try session.execute("""
                    INSERT INTO index_fragments (chart_version_id, render_key, item, api_json)
                    SELECT \(id), \(fragment.renderKey), \(item), \(apiJSON)
                    WHERE EXISTS (SELECT 1 FROM chart_versions WHERE id = \(id))
                    ON CONFLICT (chart_version_id) DO UPDATE
                    SET render_key = excluded.render_key, item = excluded.item, api_json = excluded.api_json
                    """)
            }
        }
    }
}

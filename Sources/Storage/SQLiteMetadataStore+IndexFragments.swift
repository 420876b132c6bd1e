import Foundation
import GRDB

extension SQLiteMetadataStore {
    public func bulkLoadIndexFragments(statuses: Set<ChartStatus>) throws(StorageError) -> [Int64: StoredIndexFragment] {
        try read { db in
            var fragments: [Int64: StoredIndexFragment] = [:]
            let placeholders = Array(repeating: "?", count: statuses.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT f.chartVersionID, f.renderKey, f.item, f.apiJSON
                FROM index_fragments f JOIN chart_versions c ON c.id = f.chartVersionID
                WHERE c.status IN (\(placeholders.isEmpty ? "NULL" : placeholders))
                """, arguments: StatementArguments(statuses.map(\.rawValue).sorted()))
            while let row = try rows.next() {
                let item: Data = row[2]
                let apiJSON: Data? = row[3]
                fragments[row[0]] = StoredIndexFragment(renderKey: row[1], item: [UInt8](item), apiJSON: apiJSON.map { [UInt8]($0) })
            }
            return fragments
        }
    }

    public func storeIndexFragments(_ fragments: [(id: Int64, fragment: StoredIndexFragment)]) throws(StorageError) {
        guard !fragments.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO index_fragments (chartVersionID, renderKey, item, apiJSON)
                SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chart_versions WHERE id = ?)
                """)
            for (id, fragment) in fragments {
                try statement.execute(arguments: [id, fragment.renderKey, Data(fragment.item),
                                                  fragment.apiJSON.map { Data($0) }, id])
            }
        }
    }
}

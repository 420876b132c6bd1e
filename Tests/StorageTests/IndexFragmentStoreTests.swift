import Foundation
import Storage
import Testing

/// Stored index renderings on both stores: one bulk read of the rows in the asked statuses, a
/// rewrite replaces, a rendering for a row that is gone is skipped, and deleting the row deletes it.
@Suite struct IndexFragmentStoreTests {
    static func record(_ version: String, status: ChartStatus) -> ChartVersionRecord {
        ChartVersionRecord(repository: "stable", name: "demo", version: version, digest: String(repeating: "d", count: 64),
                           size: 10, created: Date(timeIntervalSince1970: 1_800_000_000), uploader: "ci", status: status,
                           metadata: #"{"name":"demo","version":"\#(version)"}"#)
    }

    @Test(arguments: StoreBackend.available)
    func renderingsAreStoredReadInBulkAndGoWithTheirRow(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        try store.ensureRepository("stable")
        let active = try store.insertChart(Self.record("1.0.0", status: .active), audit: nil)
        let staged = try store.insertChart(Self.record("2.0.0", status: .pending), audit: nil)
        let activeID = try #require(active.id), stagedID = try #require(staged.id)
        let bytes = Array("  - name: \"\u{e9}\"\n".utf8) + [0, 255]
        let first = StoredIndexFragment(renderKey: "k1", item: bytes, apiJSON: Array("{}".utf8))
        try store.storeIndexFragments([(activeID, first), (stagedID, first), (999_999, first)])
        #expect(try store.bulkLoadIndexFragments(statuses: [.active]) == [activeID: first])
        #expect(try store.bulkLoadIndexFragments(statuses: [.active, .pending]).count == 2)

        let second = StoredIndexFragment(renderKey: "k2", item: Array("{\"a\":1}".utf8), apiJSON: nil)
        try store.storeIndexFragments([(activeID, second)])
        #expect(try opened.reopen().bulkLoadIndexFragments(statuses: [.active]) == [activeID: second], "replaced, durable")

        try store.deleteChart(id: activeID, audit: nil)
        #expect(try store.bulkLoadIndexFragments(statuses: Set(ChartStatus.allCases)).keys.sorted() == [stagedID])
    }

    /// A first start stores every row's rendering at once: more rows than one statement carries.
    @Test(arguments: StoreBackend.available)
    func manyRenderingsAreStoredInOneCall(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        try store.ensureRepository("stable")
        var fragments: [(id: Int64, fragment: StoredIndexFragment)] = []
        for number in 0..<2_345 {
            let id = try #require(try store.insertChart(Self.record("1.0.\(number)", status: .active), audit: nil).id)
            fragments.append((id, StoredIndexFragment(renderKey: "k\(number)", item: Array("item \(number)".utf8),
                                                      apiJSON: number % 2 == 0 ? nil : Array("{}".utf8))))
        }
        try store.storeIndexFragments(fragments)
        let loaded = try store.bulkLoadIndexFragments(statuses: [.active])
        #expect(loaded.count == fragments.count)
        #expect(fragments.allSatisfy { loaded[$0.id] == $0.fragment })
    }
}

import Foundation
import Storage
import Testing

@Suite struct BulkLoadTests {
    /// The one-statement bulk read returns exactly the rows, fields and order the per-repository
    /// query returns, for every mix of statuses.
    @Test func bulkLoadEqualsThePerRepositoryQueries() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        let repositories = ["stable", "team-a", "empty"]
        for repository in repositories { try store.ensureRepository(repository) }
        let statuses = ChartStatus.allCases
        for number in 0..<600 {
            let repository = repositories[number % 2]
            let status = statuses[number % statuses.count]
            let record = ChartVersionRecord(
                repository: repository, name: "chart-\(number % 37)", version: "1.\(number).0",
                digest: String(repeating: String(number % 16, radix: 16), count: 64), size: Int64(number * 10),
                created: Date(timeIntervalSince1970: 1_700_000_000 + Double(number) * 1.25), uploader: "user:ci",
                status: status, statusReason: status == .quarantined ? "key \"revoked\"\n" : nil,
                metadata: #"{"name":"chart-\#(number % 37)","version":"1.\#(number).0","description":"d\u00e9"}"#,
                provenanceDigest: number % 3 == 0 ? String(repeating: "c", count: 64) : nil)
            _ = try store.insertChart(record, audit: nil)
        }
        for wanted: Set<ChartStatus> in [[.active], [.active, .quarantined], Set(statuses), []] {
            let bulk = try store.bulkLoadCharts(statuses: wanted)
            for repository in repositories {
                #expect(bulk[repository] ?? [] == (try store.charts(repository: repository, statuses: wanted)),
                        "\(repository) \(wanted)")
            }
            #expect(bulk["empty"] == nil)
            #expect(bulk.values.reduce(0) { $0 + $1.count } == (try store.allCharts(statuses: wanted)).count)
        }
    }
}

/// Opt-in measurement (`CHARTWARDEN_BENCH_ROWS=100000`): the start-up read of that many rows, in
/// bulk against the per-record `Codable` fetch. Prints; asserts only that both read every row.
@Suite struct BulkLoadMeasurement {
    static let rows = ProcessInfo.processInfo.environment["CHARTWARDEN_BENCH_ROWS"].flatMap { Int($0) }

    @Test(.enabled(if: rows != nil)) func bulkAgainstPerRecordFetch() throws {
        let count = try #require(Self.rows)
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/chartwarden.sqlite")
        try store.ensureRepository("scale")
        let fill = Process()
        fill.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        fill.arguments = ["python3", "bench/populate-store.py", directory.path, "scale", String(count)]
        try fill.run()
        fill.waitUntilExit()
        #expect(fill.terminationStatus == 0)
        let clock = ContinuousClock()
        var perRecord: [ChartVersionRecord] = []
        let perRecordTime = try clock.measure { perRecord = try store.allCharts(statuses: [.active, .quarantined]) }
        var bulk: [String: [ChartVersionRecord]] = [:]
        let bulkTime = try clock.measure { bulk = try store.bulkLoadCharts(statuses: [.active, .quarantined]) }
        #expect(perRecord.count == count && bulk["scale"]?.count == count)
        print("start-up read of \(count) rows: per-record Codable fetch \(perRecordTime), bulk \(bulkTime)")
    }
}

import ChartArchive
import ChartIndex
import ChartModel
import Foundation
import Yams

/// Times index rendering: a full render of N versions, one incremental update, and as the
/// reference measured in the same run, Yams (a general YAML library) serialising the same entries.
@main
struct IndexBenchmark {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "fragments" {
            FragmentBenchmark.run(arguments: Array(arguments.dropFirst()), makeEntries: makeEntries)
            return
        }
        let sizes = arguments.compactMap { Int($0) }.isEmpty ? [10_000, 100_000] : arguments.compactMap { Int($0) }
        let withReference = !arguments.contains("--no-reference")
        print("versions  charts  full_render_s  incremental_s  gzip_s  yaml_MiB  yams_reference_s  ratio_yams/ours")
        for size in sizes {
            let entries = makeEntries(count: size)
            let (index, full) = measure { RepositoryIndex(entries: entries) }
            var updated = index
            let newEntry = entry(chart: 7, version: "9.9.9")
            let (_, incremental) = measure {
                updated.insert(newEntry)
                return updated.document(format: .yaml, generated: "2026-11-22T00:00:00.000000Z")
            }
            precondition(updated.fragmentRenderCount == index.fragmentRenderCount + 1)
            let document = index.document(format: .yaml, generated: "2026-11-22T00:00:00.000000Z")
            let (_, gzipTime) = measure { Gzip.compress(document) }
            var referenceText = "-"
            var ratioText = "-"
            if withReference {
                let (_, reference) = try measureThrowing { try yamsRender(entries) }
                referenceText = String(format: "%.3f", reference)
                ratioText = String(format: "%.1fx", reference / (full + 1e-9))
            }
            print(String(format: "%8d  %6d  %13.3f  %13.4f  %6.3f  %8.1f", size, index.chartNames.count, full,
                         incremental, gzipTime, Double(document.count) / 1_048_576)
                  + "  \(referenceText.padding(toLength: 16, withPad: " ", startingAt: 0))  \(ratioText)")
        }
    }

    /// Realistic shape: 10 versions per chart, descriptions, maintainers, annotations, dependencies.
    static func makeEntries(count: Int) -> [IndexEntry] {
        (0..<count).map { entry(chart: $0 / 10, version: "1.\($0 % 10).0") }
    }

    static func entry(chart: Int, version: String) -> IndexEntry {
        var metadata = ChartMetadata(name: "chart-\(chart)", version: version)
        metadata.description = "Chart number \(chart): a service with a deployment, a service and an ingress."
        metadata.appVersion = "2.\(chart % 7).1"
        metadata.home = "https://example.com/charts/chart-\(chart)"
        metadata.keywords = ["web", "service"]
        metadata.maintainers = [.init(name: "Team \(chart % 13)", email: "team\(chart % 13)@example.com")]
        metadata.annotations = ["category": "Web", "artifacthub.io/license": "Apache-2.0"]
        metadata.dependencies = [.init(name: "common-lib", version: "1.x.x", repository: "https://charts.example.com")]
        return IndexEntry(metadata: metadata, digest: String(repeating: "ab", count: 32),
                          created: "2026-11-22T10:00:00.123456Z",
                          urls: [IndexEntry.chartURL(name: metadata.name, version: version, baseURL: nil)])
    }

    struct YamsEntry: Encodable {
        let metadata: ChartMetadata
        let digest: String
        let created: String
        let urls: [String]

        func encode(to encoder: any Encoder) throws {
            try metadata.encode(to: encoder)
            enum Keys: String, CodingKey { case digest, created, urls }
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(digest, forKey: .digest)
            try container.encode(created, forKey: .created)
            try container.encode(urls, forKey: .urls)
        }
    }

    struct YamsIndex: Encodable {
        let apiVersion = "v1"
        let entries: [String: [YamsEntry]]
        let generated: String
    }

    static func yamsRender(_ entries: [IndexEntry]) throws -> String {
        var grouped: [String: [YamsEntry]] = [:]
        for entry in entries {
            grouped[entry.name, default: []].append(YamsEntry(metadata: entry.metadata, digest: entry.digest,
                                                              created: entry.created, urls: entry.urls))
        }
        return try YAMLEncoder().encode(YamsIndex(entries: grouped, generated: "2026-11-22T00:00:00.000000Z"))
    }

    static func measure<T>(_ body: () -> T) -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func measureThrowing<T>(_ body: () throws -> T) throws -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}

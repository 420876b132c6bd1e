import ChartIndex
import Foundation

/// `chartwarden-bench fragments [yaml|json] [N...]`: the cost of one change (publish + a new
/// served generation) in a fragment index of N versions, and the memory the index holds (RSS
/// growth: run one size and format per process for a clean figure).
enum FragmentBenchmark {
    static func run(arguments: [String], makeEntries: (Int) -> [IndexEntry]) {
        let given = arguments.compactMap { Int($0) }
        let formats = RepositoryIndex.Format.allCases.filter { arguments.contains($0.rawValue) }
        let sizes = given.isEmpty ? [0, 100_000] : given
        print("versions  format  build_s  rss_index_MiB  update_p50_ms  update_p99_ms  get_bytes_MiB  gzip_first_s  rss_MiB")
        for size in sizes {
            for format in formats.isEmpty ? RepositoryIndex.Format.allCases : formats {
                var entries: [IndexEntry]? = makeEntries(size)
                let rssBefore = residentMiB()
                let start = DispatchTime.now().uptimeNanoseconds
                var index = FragmentIndex(entries: entries!, format: format, generation: IndexGeneration(repository: "bench"))
                let build = seconds(since: start)
                entries = nil
                let rssIndex = residentMiB() - rssBefore
                var timings: [Double] = []
                var served = index.served(generated: "2026-11-23T00:00:00.000000Z")
                for change in 0..<1_000 {
                    let entry = IndexBenchmark.entry(chart: change % 97, version: "9.\(change).0")
                    let begin = DispatchTime.now().uptimeNanoseconds
                    index.publish(entry)
                    served = index.served(generated: "2026-11-23T00:00:00.000000Z")
                    timings.append(seconds(since: begin) * 1_000)
                }
                timings.sort()
                let gzipStart = DispatchTime.now().uptimeNanoseconds
                _ = served.gzipped()
                print(String(format: "%8d  ", size) + format.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                      + String(format: "  %7.3f  %14.1f  %13.3f  %13.3f  %13.1f  %12.3f  %7.1f", build, rssIndex, timings[timings.count / 2], timings[timings.count * 99 / 100],
                             Double(served.contentLength) / 1_048_576, seconds(since: gzipStart), residentMiB()))
                withExtendedLifetime(index) {}
            }
        }
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// VmRSS from /proc/self/status (Linux), in MiB.
    static func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1_024
    }
}

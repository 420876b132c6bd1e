import ArgumentParser
import ChartArchive
import ChartIndex
import Foundation
import OpenSSLSupport

/// `chartwarden index DIR`: reads every `.tgz` in DIR with the same checks as an upload and
/// prints (or writes) the index Helm would download.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Print the index.yaml for a directory of packaged charts."
    )

    @Argument(help: "Directory holding packaged charts (*.tgz).")
    var directory: String

    @Option(help: "yaml or json (Helm 3.13+ reads JSON faster; JSON is valid YAML).")
    var format: String = "yaml"

    @Option(help: "Absolute base URL for chart URLs; relative 'charts/N-V.tgz' when absent.")
    var baseURL: String?

    @Option(help: "Write the index to this file instead of standard output.")
    var output: String?

    func run() throws {
        guard let format = RepositoryIndex.Format(rawValue: format) else {
            throw ValidationError("--format must be yaml or json")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".tgz") }
            .sorted()
        let reader = ChartArchiveReader()
        var entries: [IndexEntry] = []
        var failures = 0
        for name in names {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            let bytes = [UInt8](data)
            do {
                let package = try reader.read(bytes: bytes)
                let created = IndexTimestamp.format(Date())
                entries.append(IndexEntry(
                    metadata: package.metadata,
                    digest: SHA256Hasher.hash(bytes).hex,
                    created: created,
                    urls: [IndexEntry.chartURL(name: package.metadata.name, version: package.metadata.version, baseURL: baseURL)]))
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("\(name): \(error.message)\n".utf8))
            }
        }
        let index = RepositoryIndex(entries: entries)
        let document = index.document(format: format, generated: IndexTimestamp.format(Date()))
        if let output {
            try Data(document).write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            FileHandle.standardOutput.write(Data(document))
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

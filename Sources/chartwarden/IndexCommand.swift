import ArgumentParser
import ChartArchive
import ChartIndex
import Foundation
import OpenSSLSupport

/// `chartwarden index DIR`: reads every `.tgz` in DIR and its direct subdirectories with the same
/// checks as an upload and prints (or writes) the index Helm would download. Like
/// `helm repo index DIR [--url URL]`, each chart's URL is its path relative to DIR (`N-V.tgz`,
/// `sub/N-V.tgz`), joined under `--base-url` when given, so DIR served as is is a repository.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Print the index.yaml for a directory of packaged charts."
    )

    @Argument(help: "Directory holding packaged charts (*.tgz).")
    var directory: String

    @Option(help: "yaml or json (Helm 3.13+ reads JSON faster; JSON is valid YAML).")
    var format: String = "yaml"

    @Option(help: "Absolute base URL for chart URLs; relative to DIR ('N-V.tgz', 'sub/N-V.tgz') when absent.")
    var baseURL: String?

    @Option(help: "Write the index to this file instead of standard output.")
    var output: String?

    func run() throws {
        guard let format = RepositoryIndex.Format(rawValue: format) else {
            throw ValidationError("--format must be yaml or json")
        }
        let names = try Self.chartPaths(in: directory)
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
                    urls: [IndexEntry.url(relativePath: name, baseURL: baseURL)]))
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("\(name): \(error.message)\n".utf8))
            }
        }
        // The server's renderer: one rendering path for the command and the served index.
        let index = FragmentIndex(entries: entries, format: format, generation: IndexGeneration(repository: ""))
        let document = index.served(generated: IndexTimestamp.format(Date())).joined()
        if let output {
            try Data(document).write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            FileHandle.standardOutput.write(Data(document))
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// `*.tgz` and `*/*.tgz` under `directory`, relative to it and sorted: the two globs of Helm's
    /// `IndexDirectory` (Go's `**` matches one path segment, so one level of subdirectories).
    static func chartPaths(in directory: String) throws -> [String] {
        let files = FileManager.default
        var paths: [String] = []
        for name in try files.contentsOfDirectory(atPath: directory).sorted() {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let inner = (try? files.contentsOfDirectory(atPath: directory + "/" + name)) ?? []
                paths += inner.filter { $0.hasSuffix(".tgz") }.sorted().map { name + "/" + $0 }
            } else if name.hasSuffix(".tgz") {
                paths.append(name)
            }
        }
        return paths.sorted()
    }
}

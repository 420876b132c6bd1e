import ChartIndex
import ChartModel
import Foundation
import NIOCore
import Storage
import Testing
@testable import ChartWardenCore

/// Charts stored before a validation rule existed are validated again when the index is rebuilt
/// at startup: one that would break index.yaml for every client is left out, not served.
@Suite struct RepositoryLoadTests {
    let configuration = try! ChartWardenConfiguration.parse(yaml: """
    server:
      tls: {certificate: a, privateKey: b}
    repositories:
      - name: stable
        read: ["anonymous"]
    """)

    static func record(_ name: String, _ version: String, metadata: String) -> ChartVersionRecord {
        ChartVersionRecord(repository: "stable", name: name, version: version, digest: String(repeating: "a", count: 64),
                           size: 10, created: Date(timeIntervalSince1970: 1_800_000_000), uploader: "ci", status: .active,
                           metadata: metadata)
    }

    static func stored(_ metadata: ChartMetadata) throws -> String {
        String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
    }

    @Test func storedChartsThatFailValidationAreLeftOutOfTheIndex() async throws {
        let repository = ChartRepository(configuration: configuration.repositories[0], publicURL: nil)
        var longKey = ChartMetadata(name: "longkey", version: "1.0.0")
        let key = "example.com/" + String(repeating: "k", count: 1_100)
        longKey.annotations = [key: "v"]
        let records = [
            Self.record("good", "1.0.0", metadata: try Self.stored(ChartMetadata(name: "good", version: "1.0.0"))),
            Self.record("longkey", "1.0.0", metadata: try Self.stored(longKey)),
            Self.record("corrupt", "1.0.0", metadata: "{\"name\": 1}"),
        ]
        let leftOut = try await BlockingWork((), threadPool: .singleton).run { (_, onPool) throws(ServiceError) in
            do { return try repository.load(records, onPool) } catch { throw ServiceError(.internalError, "\(error)") }
        }
        #expect(repository.snapshot.generation == 1, "each load publishes the next generation")
        #expect(leftOut == ["longkey-1.0.0.tgz", "corrupt-1.0.0.tgz"])
        let snapshot = repository.snapshot
        #expect(snapshot.index.chartNames == ["good"])
        let yaml = String(decoding: snapshot.served.joined(), as: UTF8.self)
        #expect(yaml.contains("good-1.0.0.tgz") && !yaml.contains("kkkk"), "the rendered index.yaml holds only the valid chart")
        #expect(snapshot.files["longkey-1.0.0.tgz"] != nil, "the stored bytes stay downloadable")
    }

    /// A stored rendering is joined as is only when its key is the one this repository expects for
    /// the row (renderer, format, base URL, digest, creation time); any other row is rendered again
    /// and handed back for the store.
    @Test func storedRenderingsAreJoinedOnlyWhenTheirKeyMatches() async throws {
        let repository = ChartRepository(configuration: configuration.repositories[0], publicURL: nil)
        var kept = Self.record("kept", "1.0.0", metadata: try Self.stored(ChartMetadata(name: "kept", version: "1.0.0")))
        kept.id = 1
        var stale = Self.record("stale", "1.0.0", metadata: try Self.stored(ChartMetadata(name: "stale", version: "1.0.0")))
        stale.id = 2
        let key = RenderedVersion.renderKey(format: .yaml, baseURL: nil, digest: kept.digest,
                                            createdSeconds: kept.created.timeIntervalSince1970)
        let staleKey = RenderedVersion.renderKey(format: .yaml, baseURL: "https://old.example/stable", digest: stale.digest,
                                                 createdSeconds: stale.created.timeIntervalSince1970)
        let marker = Array("  - marker: \"stored\"\n".utf8)
        let stored: [Int64: StoredIndexFragment] = [
            1: StoredIndexFragment(renderKey: key, item: marker, apiJSON: Array("{\"marker\":1}".utf8)),
            2: StoredIndexFragment(renderKey: staleKey, item: marker, apiJSON: nil),
        ]
        let records = [kept, stale]
        _ = try await BlockingWork((), threadPool: .singleton).run { (_, onPool) throws(ServiceError) in
            do { return try repository.load(records, stored: stored, onPool) } catch { throw ServiceError(.internalError, "\(error)") }
        }
        let yaml = String(decoding: repository.snapshot.served.joined(), as: UTF8.self)
        #expect(yaml.components(separatedBy: "marker").count == 2, "only the matching rendering is joined: \(yaml)")
        #expect(yaml.contains("charts/stale-1.0.0.tgz"), "the stale one is rendered with today's URLs")
        #expect(repository.versionsJSON(named: "kept").map { Array($0.json.readableBytesView) } == [Array("{\"marker\":1}".utf8)])
        let unstored = repository.takeUnstoredFragments()
        #expect(unstored.map(\.id) == [2])
        #expect(unstored.first?.fragment.renderKey == RenderedVersion.renderKey(
            format: .yaml, baseURL: nil, digest: stale.digest, createdSeconds: stale.created.timeIntervalSince1970))
        #expect(repository.takeUnstoredFragments().isEmpty, "handed back once")
    }
}

import ChartArchive
import Foundation
import Testing

/// Every archive in charts-fixtures/hostile is refused with its own code and a readable message.
@Suite struct HostileArchiveTests {
    struct Expectation: Decodable {
        let code: String
        let message: String
    }

    static let expectations: [(String, Expectation)] = {
        let path = Fixtures.hostile + "/expected.json"
        guard let data = FileManager.default.contents(atPath: path),
              let decoded = try? JSONDecoder().decode([String: Expectation].self, from: data) else { return [] }
        return decoded.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }()

    @Test func everyRejectionHasAFixture() {
        #expect(Self.expectations.count >= 30)
    }

    @Test(arguments: expectations.map(\.0))
    func refusedFromMemory(fileName: String) throws {
        let expectation = try #require(Self.expectations.first { $0.0 == fileName }?.1)
        let path = Fixtures.hostile + "/" + fileName
        #expect(FileManager.default.fileExists(atPath: path), "run charts-fixtures/make_hostile.py first")
        let bytes = try Fixtures.bytes(path)
        let error = #expect(throws: ChartArchiveError.self) { try ChartArchiveReader().read(bytes: bytes) }
        #expect(error?.code.rawValue == expectation.code, "\(fileName): \(error?.message ?? "")")
        #expect(error?.message.contains(expectation.message) == true, "\(fileName): \(error?.message ?? "")")
    }

    @Test(arguments: expectations.map(\.0))
    func refusedFromFile(fileName: String) throws {
        let expectation = try #require(Self.expectations.first { $0.0 == fileName }?.1)
        let error = #expect(throws: ChartArchiveError.self) {
            try ChartArchiveReader().read(path: Fixtures.hostile + "/" + fileName)
        }
        // Reading from a file sees compressed bytes arrive gradually, so a bomb may trip either
        // the ratio or the size limit first; every other archive fails the same way as in memory.
        if expectation.code == "compressionRatio" {
            #expect(error?.code == .compressionRatio || error?.code == .totalTooLarge)
        } else if expectation.code == "empty" && fileName == "zero-bytes.tgz" {
            #expect(error != nil)
        } else {
            #expect(error?.code.rawValue == expectation.code, "\(fileName): \(error?.message ?? "")")
        }
    }

    @Test func limitsAreConfigurable() throws {
        let bytes = try Fixtures.bytes(Fixtures.packaged + "/webapp-1.2.0.tgz")
        #expect(throws: ChartArchiveError(.tooManyEntries, "the archive has more than 3 entries")) {
            try ChartArchiveReader(limits: ChartArchiveLimits(maxEntries: 3)).read(bytes: bytes)
        }
        let tiny = ChartArchiveLimits(maxFileBytes: 100)
        let error = #expect(throws: ChartArchiveError.self) { try ChartArchiveReader(limits: tiny).read(bytes: bytes) }
        #expect(error?.code == .fileTooLarge)
        let small = ChartArchiveLimits(maxTotalBytes: 1000)
        #expect(throws: ChartArchiveError.self) { try ChartArchiveReader(limits: small).read(bytes: bytes) }
        #expect(throws: Never.self) { try ChartArchiveReader(limits: ChartArchiveLimits(maxEntries: 12)).read(bytes: bytes) }
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for size in [1, 2, 10, 100, 512, 1024, 4096, 65536] {
            let garbage = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: ChartArchiveError.self) { try ChartArchiveReader().read(bytes: garbage) }
        }
    }

    @Test func everyTruncationOfARealChartIsRefused() throws {
        let bytes = try Fixtures.bytes(Fixtures.packaged + "/cert-operator-2.3.1.tgz")
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: ChartArchiveError.self) { try ChartArchiveReader().read(bytes: Array(bytes[..<length])) }
        }
    }
}

import ChartArchive
import Foundation
import Testing

@Suite struct GzipTests {
    @Test func roundTripsThroughSystemGunzip() throws {
        let text = Array(String(repeating: "entries:\n  demo: []\n", count: 5000).utf8)
        let compressed = Gzip.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(compressed.prefix(2) == [0x1f, 0x8b])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("index.yaml.gz")
        try Data(compressed).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-d", file.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let decompressed = try Data(contentsOf: directory.appendingPathComponent("index.yaml"))
        #expect([UInt8](decompressed) == text)
    }

    @Test func emptyInput() {
        #expect(Gzip.compress([]).prefix(2) == [0x1f, 0x8b])
    }
}

import ChartArchive

/// The chart archive reader (gzip, tar, Chart.yaml, nested subchart archives, then the content
/// scan), under the server's default limits.
enum ChartArchiveFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = try? ChartArchiveReader().read(bytes: bytes)
    }
}

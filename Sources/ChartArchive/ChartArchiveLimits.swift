/// Hard limits applied while an archive is read, so hostile input cannot exhaust memory or time.
public struct ChartArchiveLimits: Sendable, Equatable {
    public var maxEntries: Int
    public var maxFileBytes: Int64
    public var maxTotalBytes: Int64
    /// Uncompressed-to-compressed ratio above which the archive is treated as a decompression bomb…
    public var maxCompressionRatio: Int64
    /// …once more than this many bytes have been decompressed (small files compress very well).
    public var compressionRatioGraceBytes: Int64
    /// Packaged subcharts inside packaged subcharts, at most this deep.
    public var maxSubchartDepth: Int

    public init(
        maxEntries: Int = 5_000,
        maxFileBytes: Int64 = 5 << 20,
        maxTotalBytes: Int64 = 50 << 20,
        maxCompressionRatio: Int64 = 100,
        compressionRatioGraceBytes: Int64 = 1 << 20,
        maxSubchartDepth: Int = 5
    ) {
        self.maxEntries = maxEntries
        self.maxFileBytes = maxFileBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.compressionRatioGraceBytes = compressionRatioGraceBytes
        self.maxSubchartDepth = maxSubchartDepth
    }

    public static let `default` = ChartArchiveLimits()
}

import Foundation

extension ChartWardenConfiguration {
    /// How long history is kept (README, "Audit log and retention").
    public struct Audit: Sendable, Equatable {
        /// Audit rows, verdicts of refused uploads and forgotten stages older than this are
        /// pruned. Fractions of a day are allowed (tests use seconds' worth).
        public var retentionDays: Double = 365

        public init(retentionDays: Double = 365) {
            self.retentionDays = retentionDays
        }

        public var retention: Duration { .milliseconds(Int64((retentionDays * 86_400_000).rounded())) }
    }

    static func parseAudit(_ top: YAMLMappingReader) throws(ConfigurationError) -> Audit {
        guard let audit = try top.mapping("audit", allowedKeys: ["retentionDays"]) else { return Audit() }
        return Audit(retentionDays: try audit.number("retentionDays", range: (1.0 / 86_400)...36_500,
                                                     bounds: "at least one second's worth (0.0000116) and at most 36500 days") ?? 365)
    }
}

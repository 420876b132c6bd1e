import Storage

/// A stored chart version with the verdicts that let it in: what the admin console shows for
/// each version (uploader, status, provenance and content-policy verdicts).
package struct ChartStanding: Sendable {
    package let chart: ChartVersionRecord
    /// The newest provenance verdict linked to the row, nil when none was recorded.
    package let provenance: ProvenanceVerdictRecord?
    /// The content-policy verdict linked to the row, nil when none was recorded.
    package let content: ContentVerdictRecord?

    package init(chart: ChartVersionRecord, provenance: ProvenanceVerdictRecord?, content: ContentVerdictRecord?) {
        self.chart = chart
        self.provenance = provenance
        self.content = content
    }
}

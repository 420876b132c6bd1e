import Storage

extension TrustService {
    /// Every stored version of `repository` that is published, staged or quarantined, with its
    /// verdicts, ordered by chart name then upload.
    package func chartStandings(in repository: ChartRepository) async throws(ServiceError) -> [ChartStanding] {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                let metadata = stores.metadata
                let records = try metadata.charts(repository: repository.name, statuses: [.active, .pending, .quarantined])
                return try records.sorted { ($0.name, $0.created) < ($1.name, $1.created) }.map { record in
                    guard let id = record.id else { return ChartStanding(chart: record, provenance: nil, content: nil) }
                    let content = try metadata.contentVerdicts(repository: record.repository, name: record.name,
                                                               version: record.version)
                        .first { $0.chartVersionID == id }
                    return ChartStanding(chart: record, provenance: try metadata.verdict(chartVersionID: id), content: content)
                }
            } catch {
                throw ServiceError(.internalError, "cannot list the charts of '\(repository.name)': \(error)")
            }
        }
    }
}

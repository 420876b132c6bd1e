import Storage

extension TrustService {
    /// The stored versions of `repository` that are published, staged or quarantined, with their
    /// verdicts, ordered by chart name then upload; one page of them, names filtered in SQL.
    package func chartStandings(in repository: ChartRepository, nameContains: String? = nil, offset: Int = 0,
                                limit: Int = .max) async throws(ServiceError) -> [ChartStanding] {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                let metadata = stores.metadata
                let records = try metadata.charts(repository: repository.name, statuses: [.active, .pending, .quarantined],
                                                  nameContains: nameContains, offset: offset, limit: limit)
                return try records.map { record in
                    guard let id = record.id else { return ChartStanding(chart: record, provenance: nil, content: nil) }
                    let content = try metadata.contentVerdicts(repository: record.repository, name: record.name,
                                                               version: record.version)
                        .first { $0.chartVersionID == id }
                    return ChartStanding(chart: record, provenance: try metadata.verdict(chartVersionID: id), content: content)
                }
            } catch {
                throw ServiceError(.internalError, "cannot list the charts of '\(repository.name)': \(error)", cause: error)
            }
        }
    }
}

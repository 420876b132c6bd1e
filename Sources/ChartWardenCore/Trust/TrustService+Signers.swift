import Foundation
import Storage

extension TrustService {
    /// Every known signer (or those in `fingerprints`), with the charts each currently vouches for.
    public func signerSummaries(_ fingerprints: [String]?, withCharts: Bool) async throws(ServiceError) -> [SignerSummary] {
        try await work.run { (stores, _) throws(ServiceError) in
            let metadata = stores.metadata
            do {
                let records = try metadata.signers().filter { fingerprints?.contains($0.fingerprint) ?? true }
                let signed = try metadata.signedCharts(by: nil, repository: nil, statuses: [.active, .quarantined])
                let bySigner = Dictionary(grouping: signed) { $0.verdict.signerFingerprint ?? "" }
                return try records.map { record in
                    let key = (try? stores.trust.keyring.key(record.fingerprint)) ?? nil
                    let charts = bySigner[record.fingerprint] ?? []
                    return SignerSummary(
                        fingerprint: record.fingerprint, userIDs: record.userIDList, algorithm: record.algorithm,
                        created: record.created, expires: record.expires,
                        expired: record.expires.map { $0 <= Date() } ?? false,
                        revoked: record.revokedAt.map { .init(at: $0, kind: record.revocationKind?.rawValue ?? "hard") },
                        repositories: try metadata.trustedRepositories(record.fingerprint),
                        chartsSigned: charts.count,
                        lastSignature: charts.compactMap(\.verdict.signedAt).max(),
                        subkeys: (key?.subkeys.dropFirst() ?? []).map {
                            .init(fingerprint: $0.fingerprint, algorithm: $0.algorithm, canSign: $0.canSign,
                                  created: $0.created, expires: $0.expires, revoked: $0.isRevoked)
                        },
                        charts: withCharts ? charts.map {
                            .init(repository: $0.chart.repository, name: $0.chart.name, version: $0.chart.version,
                                  status: $0.chart.status.rawValue, signedAt: $0.verdict.signedAt)
                        } : nil)
                }
            } catch {
                throw ServiceError(.internalError, "cannot read signers: \(error)", cause: error)
            }
        }
    }
}

import ChartIndex
import Foundation
import OpenSSLSupport
import Provenance
import Storage

/// Trust changes applied to what is already published: re-evaluation, quarantine, restore.
extension ChartService {
    /// Re-verifies every published chart whose current verdict names `signer` (in `repository`
    /// or everywhere) against the trust as it stands now. Charts that no longer pass are
    /// quarantined: out of the index, downloads refused with the reason, bytes kept.
    public func reevaluate(signer: String, repository: String?, actor: String, cause: String) async throws(ServiceError)
        -> [ChartVersionRecord] {
        let signed: [SignedChart] = try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                return try metadata.signedCharts(by: signer, repository: repository, statuses: [.active])
            } catch {
                throw ServiceError(.internalError, "cannot list the charts \(signer) signed: \(error)")
            }
        }
        var quarantined: [ChartVersionRecord] = []
        for entry in signed {
            guard let target = self.repository(named: entry.chart.repository) else { continue }
            let verdict: ProvenanceVerdict = try await offloadMapping { [self] () throws(ServiceError) in
                try verifyStored(entry.chart)
            }
            guard !verdict.passed else { continue }
            let reason = "\(cause): " + verdict.checks.filter { !$0.passed }.map(\.detail).joined(separator: "; ")
            var record = entry.chart
            try await offloadMapping { [metadata, record] () throws(ServiceError) in
                guard let id = record.id else { return }
                do {
                    var stored = Self.record(verdict, repository: record.repository, record.name, record.version)
                    stored.chartVersionID = id
                    try metadata.appendVerdict(stored)
                    try metadata.updateStatus(id: id, to: .quarantined, reason: reason, audit: AuditEvent(
                        at: Date(), repository: record.repository, actor: actor, action: "quarantine", outcome: "quarantined",
                        subject: "\(record.name)-\(record.version)",
                        detail: TrustStore.json(["signer": signer, "failedChecks": verdict.failedChecks.joined(separator: ",")])))
                } catch {
                    throw ServiceError(.internalError, "cannot quarantine \(record.name) \(record.version): \(error)")
                }
            }
            record.status = .quarantined
            record.statusReason = reason
            target.didQuarantine(record, reason: reason)
            quarantined.append(record)
        }
        return quarantined
    }

    /// Verifies a stored chart's prov again, as at upload: trust and revocations as they stand
    /// now, key and signature expiry at the upload time. Blocking.
    package func verifyStored(_ record: ChartVersionRecord) throws(ServiceError) -> ProvenanceVerdict {
        guard let chartDigest = SHA256Digest(hex: record.digest), let hex = record.provenanceDigest,
              let provenanceDigest = SHA256Digest(hex: hex) else {
            return ProvenanceVerdict(checks: [.init(name: .envelope, passed: false, detail: "no provenance file is stored")],
                                     chartDigest: "sha256:" + record.digest)
        }
        let provenance: [UInt8]
        do {
            provenance = try blobs.read(provenanceDigest)
        } catch {
            throw ServiceError(.internalError, "the provenance of \(record.name) \(record.version) is unreadable: \(error)")
        }
        return trust.verify(.init(chartName: record.name, chartVersion: record.version, chartDigest: chartDigest,
                                  provenance: provenance), repository: record.repository, expiryJudgedAt: record.created)
    }

    /// Charts withheld by quarantine, in one repository or all.
    package func quarantinedCharts(repository: String?) async throws(ServiceError) -> [ChartVersionRecord] {
        try await offloadMapping { [metadata, repositories] () throws(ServiceError) in
            do {
                let names = repository.map { [$0] } ?? repositories.keys.sorted()
                return try names.flatMap { try metadata.charts(repository: $0, statuses: [.quarantined]) }
            } catch {
                throw ServiceError(.internalError, "cannot list quarantined charts: \(error)")
            }
        }
    }

    /// An admin's decision to serve a quarantined chart again.
    package func restore(name: String, version: String, in repository: ChartRepository, actor: String) async throws(ServiceError) {
        let record: ChartVersionRecord = try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                guard var record = try metadata.chart(repository: repository.name, name: name, version: version),
                      record.status == .quarantined, let id = record.id else {
                    throw ServiceError(.notFound, "\(name) \(version) is not quarantined in this repository")
                }
                try metadata.updateStatus(id: id, to: .active, reason: nil, audit: AuditEvent(
                    at: Date(), repository: repository.name, actor: actor, action: "restore", outcome: "active",
                    subject: "\(name)-\(version)", detail: TrustStore.json(["previousReason": record.statusReason ?? ""])))
                record.status = .active
                record.statusReason = nil
                return record
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "cannot restore \(name) \(version): \(error)")
            }
        }
        try await refreshIndex(repository) { try repository.didPublish(record) }
    }

    /// The stored chart row and its current verdict.
    package func provenanceVerdict(name: String, version: String, in repository: ChartRepository) async throws(ServiceError)
        -> (ChartVersionRecord, ProvenanceVerdictRecord?) {
        try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                guard let record = try metadata.chart(repository: repository.name, name: name, version: version),
                      record.status != .deleted, let id = record.id else {
                    throw ServiceError(.notFound, "chart \(name) version \(version) not found")
                }
                return (record, try metadata.verdict(chartVersionID: id))
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "\(error)")
            }
        }
    }

    /// The stored chart row (nil when it was never stored, e.g. refused) and every content-policy
    /// verdict recorded for this version, newest first.
    package func contentVerdicts(name: String, version: String, in repository: ChartRepository) async throws(ServiceError)
        -> (ChartVersionRecord?, [ContentVerdictRecord]) {
        try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                let record = try metadata.chart(repository: repository.name, name: name, version: version)
                let verdicts = try metadata.contentVerdicts(repository: repository.name, name: name, version: version)
                guard record != nil || !verdicts.isEmpty else {
                    throw ServiceError(.notFound, "no chart \(name) version \(version) was stored or judged")
                }
                return (record, verdicts)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "\(error)")
            }
        }
    }
}

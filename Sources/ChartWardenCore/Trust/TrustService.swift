import Foundation
import OpenPGP
import OpenSSLSupport
import Provenance
import Storage
import Synchronization

/// Signer trust and what it decides about published charts: key import, distrust and
/// revocation (through the GnuPG `TrustStore`), re-evaluation, quarantine, restore, and the
/// verdicts and signer views the admin API shows. Every store and GnuPG call goes through `work`.
package final class TrustService: Sendable {
    let work: BlockingWork<Stores>
    let catalog: Catalog
    /// Signers whose charts this process is re-judging now, and how many runs are at it: a
    /// replica's follower, seeing the revocation this process just committed, leaves its charts
    /// to the run already at work (whose answer lists them), instead of racing it chart by chart.
    private let reevaluating = Mutex<[String: Int]>([:])

    package init(work: BlockingWork<Stores>, catalog: Catalog) {
        self.work = work
        self.catalog = catalog
    }

    /// Imports public keys and trusts each for `repository` (when given): `TrustStore.importKeys`.
    package func importKeys(_ bytes: [UInt8], trustFor repository: String?, actor: String) async throws(ServiceError)
        -> [OpenPGPKey] {
        try await work.run { (stores, _) throws(ServiceError) in
            try stores.trust.importKeys(bytes, trustFor: repository, actor: actor)
        }
    }

    /// Trusts a key the keyring already holds for `repository`: its current copy goes through
    /// `importKeys`, so it meets exactly the checks of a key uploaded for that repository.
    package func trustKnownKey(_ fingerprint: String, for repository: String, actor: String) async throws(ServiceError)
        -> [OpenPGPKey] {
        let bytes: [UInt8] = try await work.run { (stores, _) throws(ServiceError) in
            guard (try? stores.metadata.signer(fingerprint)) ?? nil != nil else {
                throw ServiceError(.notFound, "signer \(fingerprint) is not known")
            }
            do throws(OpenPGPError) {
                return try stores.trust.keyring.export(fingerprint)
            } catch {
                throw ServiceError(.internalError, "cannot export \(fingerprint): \(error.message)", cause: error)
            }
        }
        guard !bytes.isEmpty else { throw ServiceError(.notFound, "the keyring does not hold \(fingerprint)") }
        return try await importKeys(bytes, trustFor: repository, actor: actor)
    }

    package func distrust(_ fingerprint: String, repository: String, actor: String) async throws(ServiceError) {
        try await work.run { (stores, _) throws(ServiceError) in
            try stores.trust.distrust(fingerprint, repository: repository, actor: actor)
        }
    }

    /// Applies a revocation certificate: `TrustStore.revoke`.
    package func revoke(_ fingerprint: String, certificate: [UInt8], actor: String) async throws(ServiceError)
        -> SignerStanding.Revocation {
        try await work.run { (stores, _) throws(ServiceError) in
            try stores.trust.revoke(fingerprint, certificate: certificate, actor: actor)
        }
    }

    /// Re-verifies every published chart whose current verdict names `signer` (in `repository`
    /// or everywhere) against the trust as it stands now. Charts that no longer pass are
    /// quarantined: out of the index, downloads refused with the reason, bytes kept.
    public func reevaluate(signer: String, repository: String?, actor: String, cause: String,
                           unlessUnderWay: Bool = false) async throws(ServiceError) -> [ChartVersionRecord] {
        let started = reevaluating.withLock { runs -> Bool in
            if unlessUnderWay, runs[signer, default: 0] > 0 { return false }
            runs[signer, default: 0] += 1
            return true
        }
        guard started else { return [] }
        defer {
            reevaluating.withLock { runs in
                runs[signer, default: 1] -= 1
                if runs[signer] == 0 { runs[signer] = nil }
            }
        }
        let signed: [SignedChart] = try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.signedCharts(by: signer, repository: repository, statuses: [.active])
            } catch {
                throw ServiceError(.internalError, "cannot list the charts \(signer) signed: \(error)", cause: error)
            }
        }
        var quarantined: [ChartVersionRecord] = []
        for entry in signed {
            guard let target = catalog.repository(named: entry.chart.repository) else { continue }
            let verdict: ProvenanceVerdict = try await work.run { [self] (stores, _) throws(ServiceError) in
                try verifyStored(entry.chart, stores)
            }
            guard !verdict.passed else { continue }
            let reason = "\(cause): " + verdict.checks.filter { !$0.passed }.map(\.detail).joined(separator: "; ")
            var record = entry.chart
            record.status = .quarantined
            record.statusReason = reason
            let changed: Bool = try await work.run { [record] (stores, onPool) throws(ServiceError) in
                guard let id = record.id else { return false }
                var changed = false
                do {
                    // Re-read under the repository's commit-order lock: a revocation and this
                    // replica's follower re-judging the same signer (or two admin calls) quarantine
                    // a chart once, with one audit row and one journal event, not once each.
                    try target.inCommitOrder {
                        guard let current = try stores.metadata.chart(repository: record.repository, name: record.name,
                                                                      version: record.version),
                              current.id == id, current.status == .active else { return }
                        var stored = try ProvenanceVerdictRecord(verdict, repository: record.repository, record.name, record.version)
                        stored.chartVersionID = id
                        try stores.metadata.appendVerdict(stored)
                        try stores.metadata.updateStatus(id: id, to: .quarantined, reason: reason, audit: AuditEvent(
                            at: Date(), repository: record.repository, actor: actor, action: .quarantine, outcome: .quarantined,
                            subject: "\(record.name)-\(record.version)",
                            detail: AuditDetail(AuditDetails.Quarantined(signer: signer,
                                                                         failedChecks: verdict.failedChecks.joined(separator: ",")))))
                        // Re-rendering the index is blocking work too: here, on the pool, never inline.
                        target.didQuarantine(record, reason: reason, onPool)
                        changed = true
                    }
                } catch {
                    throw ServiceError(.internalError, "cannot quarantine \(record.name) \(record.version): \(error)", cause: error)
                }
                return changed
            }
            guard changed else { continue }
            quarantined.append(record)
        }
        return quarantined
    }

    /// Checks a revocation certificate without applying it: `TrustStore.checkRevocation`.
    package func checkRevocation(_ fingerprint: String, certificate: [UInt8]) async throws(ServiceError)
        -> TrustStore.CheckedRevocation {
        try await work.run { (stores, _) throws(ServiceError) in
            try stores.trust.checkRevocation(fingerprint, certificate: certificate)
        }
    }

    /// The published charts `change` would quarantine, judged as `reevaluate` judges them once
    /// the change is made; each record's `statusReason` says which checks would fail. Changes nothing.
    package func quarantinePreview(_ change: TrustChange) async throws(ServiceError) -> [ChartVersionRecord] {
        try await work.run { [self] (stores, _) throws(ServiceError) in
            let signed: [SignedChart]
            do {
                signed = try stores.metadata.signedCharts(by: change.fingerprint, repository: change.repository,
                                                         statuses: [.active])
            } catch {
                throw ServiceError(.internalError, "cannot list the charts \(change.fingerprint) signed: \(error)", cause: error)
            }
            var affected: [ChartVersionRecord] = []
            for entry in signed where catalog.repository(named: entry.chart.repository) != nil {
                let verdict = try verifyStored(entry.chart, stores, assuming: change)
                var failures = verdict.checks.filter { !$0.passed }.map { "\($0.name.rawValue): \($0.detail)" }
                if verdict.passed, change.revokesSigningKey(verdict.signingKeyFingerprint) {
                    failures = ["revocation: the signing subkey \(verdict.signingKeyFingerprint ?? "") is revoked"]
                }
                guard !failures.isEmpty else { continue }
                var record = entry.chart
                record.statusReason = failures.joined(separator: "; ")
                affected.append(record)
            }
            return affected
        }
    }

    /// Verifies a stored chart's prov again, as at upload: trust and revocations as they stand
    /// now (or once `change` is made), key and signature expiry at the upload time. Blocking.
    func verifyStored(_ record: ChartVersionRecord, _ stores: Stores, assuming change: TrustChange? = nil)
        throws(ServiceError) -> ProvenanceVerdict {
        guard let chartDigest = SHA256Digest(hex: record.digest), let hex = record.provenanceDigest,
              let provenanceDigest = SHA256Digest(hex: hex) else {
            return ProvenanceVerdict(checks: [.init(name: .envelope, passed: false, detail: "no provenance file is stored")],
                                     chartDigest: "sha256:" + record.digest)
        }
        let provenance: [UInt8]
        do {
            provenance = try stores.blobs.read(provenanceDigest)
        } catch {
            throw ServiceError(.internalError, "the provenance of \(record.name) \(record.version) is unreadable: \(error)", cause: error)
        }
        return try stores.trust.verify(.init(chartName: record.name, chartVersion: record.version, chartDigest: chartDigest,
                                  provenance: provenance), repository: record.repository, expiryJudgedAt: record.created,
                                  assuming: change)
    }

    /// Charts withheld by quarantine, in one repository or all.
    package func quarantinedCharts(repository: String?) async throws(ServiceError) -> [ChartVersionRecord] {
        try await work.run { [catalog] (stores, _) throws(ServiceError) in
            do {
                let names = repository.map { [$0] } ?? catalog.repositoryNames
                return try names.flatMap { try stores.metadata.charts(repository: $0, statuses: [.quarantined]) }
            } catch {
                throw ServiceError(.internalError, "cannot list quarantined charts: \(error)", cause: error)
            }
        }
    }

    /// An admin's decision to serve a quarantined chart again.
    package func restore(name: String, version: String, in repository: ChartRepository, actor: String) async throws(ServiceError) {
        try await work.run { (stores, onPool) throws(ServiceError) in
            do {
                guard var record = try stores.metadata.chart(repository: repository.name, name: name, version: version),
                      record.status == .quarantined, let id = record.id else {
                    throw ServiceError(.notFound, "\(name) \(version) is not quarantined in this repository")
                }
                try stores.metadata.updateStatus(id: id, to: .active, reason: nil, audit: AuditEvent(
                    at: Date(), repository: repository.name, actor: actor, action: .restore, outcome: .active,
                    subject: "\(name)-\(version)",
                    detail: AuditDetail(AuditDetails.Restored(previousReason: record.statusReason ?? ""))))
                record.status = .active
                record.statusReason = nil
                try repository.didPublish(record, onPool)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "cannot restore \(name) \(version): \(error)", cause: error)
            }
        }
    }

    /// The stored chart row and its current verdict.
    package func provenanceVerdict(name: String, version: String, in repository: ChartRepository) async throws(ServiceError)
        -> (ChartVersionRecord, ProvenanceVerdictRecord?) {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                guard let record = try stores.metadata.chart(repository: repository.name, name: name, version: version),
                      record.status != .deleted, let id = record.id else {
                    throw ServiceError(.notFound, "chart \(name) version \(version) not found")
                }
                return (record, try stores.metadata.verdict(chartVersionID: id))
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "\(error)", cause: error)
            }
        }
    }

    /// The stored chart row (nil when it was never stored, e.g. refused) and every content-policy
    /// verdict recorded for this version, newest first.
    package func contentVerdicts(name: String, version: String, in repository: ChartRepository) async throws(ServiceError)
        -> (ChartVersionRecord?, [ContentVerdictRecord]) {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                let record = try stores.metadata.chart(repository: repository.name, name: name, version: version)
                let verdicts = try stores.metadata.contentVerdicts(repository: repository.name, name: name, version: version)
                guard record != nil || !verdicts.isEmpty else {
                    throw ServiceError(.notFound, "no chart \(name) version \(version) was stored or judged")
                }
                return (record, verdicts)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "\(error)", cause: error)
            }
        }
    }
}

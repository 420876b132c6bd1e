import Foundation
import NIOCore
import PostgresNIO
import Storage

/// `chartwarden migrate`: an embedded install copied in, idempotently. Rows are matched by their
/// natural keys (a chart by repository, name and version; a verdict or audit event by its
/// content and time), so running it again copies nothing twice and keeps what is there.
extension PostgresMetadataStore {
    /// Copies `export` in one transaction (all of it or nothing). Chart ids are new; verdicts
    /// follow their chart to its new id.
    public func importAll(_ export: MetadataExport) throws(StorageError) -> [ImportCount] {
        try database.transaction { session throws(StorageError) in
            var repositories = ImportCount(kind: "repositories")
            for name in export.repositories {
                let added = try session.execute("""
                    INSERT INTO repositories (name, created_at) VALUES (\(name), \(Date())) ON CONFLICT (name) DO NOTHING
                    """)
                if added > 0 { repositories.copied += 1 } else { repositories.present += 1 }
            }
            var charts = ImportCount(kind: "charts")
            var provenanceFiles = ImportCount(kind: "provs")
            var newIDs: [Int64: Int64] = [:]
            for record in export.charts {
                let inserted = try session.query("""
                    INSERT INTO chart_versions (repository, name, version, digest, size, created, uploader, status,
                                                status_reason, metadata, provenance_digest)
                    VALUES (\(record.repository), \(record.name), \(record.version), \(record.digest), \(record.size),
                            \(record.created), \(record.uploader), \(record.status.rawValue), \(record.statusReason),
                            \(record.metadata), \(record.provenanceDigest))
                    ON CONFLICT DO NOTHING RETURNING id
                    """)
                if inserted.isEmpty { charts.present += 1 } else { charts.copied += 1 }
                if record.provenanceDigest != nil {
                    if inserted.isEmpty { provenanceFiles.present += 1 } else { provenanceFiles.copied += 1 }
                }
                var row = inserted.first
                if row == nil { row = try lookUp(record, session) }
                if let oldID = record.id, let row { newIDs[oldID] = try PostgresRows.decode(row, Int64.self) }
            }
            var signers = ImportCount(kind: "signers")
            for signer in export.signers {
                let added = try session.execute("""
                    INSERT INTO signers (fingerprint, user_ids, algorithm, created, expires, revoked_at, revocation_kind,
                                         imported_at)
                    VALUES (\(signer.fingerprint), \(signer.userIDs), \(signer.algorithm), \(signer.created),
                            \(signer.expires), \(signer.revokedAt), \(signer.revocationKind?.rawValue), \(signer.importedAt))
                    ON CONFLICT (fingerprint) DO NOTHING
                    """)
                if added > 0 { signers.copied += 1 } else { signers.present += 1 }
            }
            var trust = ImportCount(kind: "trusts")
            for record in export.trust {
                let added = try session.execute("""
                    INSERT INTO repository_trust (repository, fingerprint, added_at, added_by)
                    VALUES (\(record.repository), \(record.fingerprint), \(record.addedAt), \(record.addedBy))
                    ON CONFLICT (repository, fingerprint) DO NOTHING
                    """)
                if added > 0 { trust.copied += 1 } else { trust.present += 1 }
            }
            var provenanceVerdicts = ImportCount(kind: "provenance verdicts")
            for verdict in export.provenanceVerdicts {
                let chartID = verdict.chartVersionID.flatMap { newIDs[$0] }
                let added = try session.execute("""
                    INSERT INTO provenance_verdicts (chart_version_id, repository, name, version, signer_fingerprint,
                                                     signed_at, passed, checks, created_at)
                    SELECT \(chartID)::bigint, \(verdict.repository)::text, \(verdict.name)::text, \(verdict.version)::text,
                           \(verdict.signerFingerprint)::text, \(verdict.signedAt)::timestamptz, \(verdict.passed)::boolean,
                           \(verdict.checks)::text, \(verdict.createdAt)::timestamptz
                    WHERE NOT EXISTS (SELECT 1 FROM provenance_verdicts WHERE repository = \(verdict.repository)
                      AND name = \(verdict.name) AND version = \(verdict.version) AND created_at = \(verdict.createdAt)
                      AND checks = \(verdict.checks))
                    """)
                if added > 0 { provenanceVerdicts.copied += 1 } else { provenanceVerdicts.present += 1 }
            }
            var contentVerdicts = ImportCount(kind: "content verdicts")
            for verdict in export.contentVerdicts {
                let chartID = verdict.chartVersionID.flatMap { newIDs[$0] }
                let added = try session.execute("""
                    INSERT INTO content_verdicts (chart_version_id, repository, name, version, passed, refused, verdict,
                                                  created_at)
                    SELECT \(chartID)::bigint, \(verdict.repository)::text, \(verdict.name)::text, \(verdict.version)::text,
                           \(verdict.passed)::boolean, \(verdict.refused)::boolean, \(verdict.verdict)::text,
                           \(verdict.createdAt)::timestamptz
                    WHERE NOT EXISTS (SELECT 1 FROM content_verdicts WHERE repository = \(verdict.repository)
                      AND name = \(verdict.name) AND version = \(verdict.version) AND created_at = \(verdict.createdAt)
                      AND verdict = \(verdict.verdict))
                    """)
                if added > 0 { contentVerdicts.copied += 1 } else { contentVerdicts.present += 1 }
            }
            var audit = ImportCount(kind: "audit events")
            for event in export.audit {
                let added = try session.execute("""
                    INSERT INTO audit_events (at, repository, actor, action, outcome, subject, detail)
                    SELECT \(event.at)::timestamptz, \(event.repository)::text, \(event.actor)::text,
                           \(event.action.rawValue)::text, \(event.outcome.rawValue)::text, \(event.subject)::text,
                           \(event.detail)::text
                    WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE at = \(event.at) AND actor = \(event.actor)
                      AND action = \(event.action.rawValue) AND outcome = \(event.outcome.rawValue)
                      AND repository IS NOT DISTINCT FROM \(event.repository)::text
                      AND subject IS NOT DISTINCT FROM \(event.subject)::text
                      AND detail IS NOT DISTINCT FROM \(event.detail)::text)
                    """)
                if added > 0 { audit.copied += 1 } else { audit.present += 1 }
            }
            var tokens = ImportCount(kind: "api tokens")
            for token in export.tokens {
                let added = try session.execute("""
                    INSERT INTO api_tokens (\(unescaped: Self.tokenColumns))
                    VALUES (\(token.id), \(token.name), \(token.secretHash), \(token.repositories), \(token.actions),
                            \(token.createdAt), \(token.createdBy), \(token.expiresAt), \(token.revokedAt), \(token.revokedBy))
                    ON CONFLICT (id) DO NOTHING
                    """)
                if added > 0 { tokens.copied += 1 } else { tokens.present += 1 }
            }
            var manifests = ImportCount(kind: "oci manifests")
            for manifest in export.ociManifests {
                let added = try session.execute("""
                    INSERT INTO oci_manifests (repository, name, version, digest, media_type, content, config_digest,
                                               chart_digest, provenance_digest, generated, created)
                    VALUES (\(manifest.repository), \(manifest.name), \(manifest.version), \(manifest.digest),
                            \(manifest.mediaType), \(ByteBuffer(bytes: manifest.content)), \(manifest.configDigest),
                            \(manifest.chartDigest), \(manifest.provenanceDigest), \(manifest.generated), \(manifest.created))
                    ON CONFLICT (repository, name, digest) DO NOTHING
                    """)
                if added > 0 { manifests.copied += 1 } else { manifests.present += 1 }
            }
            return [repositories, charts, provenanceFiles, signers, trust, provenanceVerdicts, contentVerdicts, audit,
                    tokens, manifests]
        }
    }

    /// The row of `record`'s version, when one is stored.
    private func lookUp(_ record: ChartVersionRecord, _ session: PostgresSession) throws(StorageError) -> PostgresRow? {
        try session.query("""
            SELECT id FROM chart_versions
            WHERE repository = \(record.repository) AND name = \(record.name) AND version = \(record.version)
            """).first
    }
}

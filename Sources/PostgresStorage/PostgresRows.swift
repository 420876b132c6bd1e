import Foundation
import PostgresNIO
import Storage

/// Rows to records: the column lists every query selects, and their decoders. A value of the
/// wrong type (a schema this build does not know) is `.corrupt`, never a crash.
enum PostgresRows {
    static let chartColumns = """
        id, repository, name, version, digest, size, created, uploader, status, status_reason, metadata, provenance_digest
        """
    static let signerColumns = "fingerprint, user_ids, algorithm, created, expires, revoked_at, revocation_kind, imported_at"
    static let provenanceVerdictColumns = """
        id, chart_version_id, repository, name, version, signer_fingerprint, signed_at, passed, checks, created_at
        """
    static let contentVerdictColumns = "id, chart_version_id, repository, name, version, passed, refused, verdict, created_at"
    static let auditColumns = "id, at, repository, actor, action, outcome, subject, detail"

    /// The one column of a one-column row.
    static func decode<T: PostgresDecodable>(_ row: PostgresRow, _ type: T.Type) throws(StorageError) -> T {
        do {
            return try row.decode(T.self)
        } catch {
            throw StorageError(.corrupt, "unexpected PostgreSQL value: \(error)")
        }
    }

    /// Reads named columns of one row.
    struct Reader {
        let row: PostgresRandomAccessRow
        /// Prefix of the columns' names (`v_` for a joined verdict).
        var prefix = ""

        init(_ row: PostgresRow, prefix: String = "") {
            self.row = row.makeRandomAccess()
            self.prefix = prefix
        }

        func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(StorageError) -> T {
            do {
                return try row[prefix + column].decode(T.self)
            } catch {
                throw StorageError(.corrupt, "unexpected PostgreSQL value in \(prefix + column): \(error)")
            }
        }

        func status(_ column: String) throws(StorageError) -> ChartStatus {
            let text: String = try self(column)
            guard let status = ChartStatus(rawValue: text) else {
                throw StorageError(.corrupt, "unknown chart status '\(text)'")
            }
            return status
        }
    }

    static func chart(_ row: PostgresRow) throws(StorageError) -> ChartVersionRecord {
        let read = Reader(row)
        return ChartVersionRecord(
            id: try read("id", as: Int64.self), repository: try read("repository"), name: try read("name"),
            version: try read("version"), digest: try read("digest"), size: try read("size"), created: try read("created"),
            uploader: try read("uploader"), status: try read.status("status"), statusReason: try read("status_reason"),
            metadata: try read("metadata"), provenanceDigest: try read("provenance_digest"))
    }

    static func signer(_ row: PostgresRow) throws(StorageError) -> SignerRecord {
        let read = Reader(row)
        let kindText: String? = try read("revocation_kind")
        var signer = SignerRecord(
            fingerprint: try read("fingerprint"), userIDs: [], algorithm: try read("algorithm"), created: try read("created"),
            expires: try read("expires"), revokedAt: try read("revoked_at"),
            revocationKind: kindText.flatMap(SignerRecord.RevocationKind.init(rawValue:)), importedAt: try read("imported_at"))
        signer.userIDs = try read("user_ids")
        return signer
    }

    static func provenanceVerdict(_ row: PostgresRow, prefix: String = "") throws(StorageError) -> ProvenanceVerdictRecord {
        let read = Reader(row, prefix: prefix)
        return ProvenanceVerdictRecord(
            id: try read("id", as: Int64.self), chartVersionID: try read("chart_version_id"), repository: try read("repository"),
            name: try read("name"), version: try read("version"), signerFingerprint: try read("signer_fingerprint"),
            signedAt: try read("signed_at"), passed: try read("passed"), checks: try read("checks"),
            createdAt: try read("created_at"))
    }

    static func contentVerdict(_ row: PostgresRow) throws(StorageError) -> ContentVerdictRecord {
        let read = Reader(row)
        return ContentVerdictRecord(
            id: try read("id", as: Int64.self), chartVersionID: try read("chart_version_id"), repository: try read("repository"),
            name: try read("name"), version: try read("version"), passed: try read("passed"), refused: try read("refused"),
            verdict: try read("verdict"), createdAt: try read("created_at"))
    }

    static func audit(_ row: PostgresRow) throws(StorageError) -> AuditEvent {
        let read = Reader(row)
        let actionText: String = try read("action")
        let outcomeText: String = try read("outcome")
        guard let action = AuditAction(rawValue: actionText), let outcome = AuditOutcome(rawValue: outcomeText) else {
            throw StorageError(.corrupt, "unknown audit action or outcome '\(actionText)' '\(outcomeText)'")
        }
        let detail: String? = try read("detail")
        return AuditEvent(id: try read("id", as: Int64.self), at: try read("at"), repository: try read("repository"),
                          actor: try read("actor"), action: action, outcome: outcome, subject: try read("subject"),
                          detail: detail.map(AuditDetail.init(storedJSON:)))
    }
}

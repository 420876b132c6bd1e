import Foundation
import GRDB

/// One row of `signers`: a public key ChartWarden knows, as GnuPG described it at import, plus
/// the revocation ChartWarden recorded (GnuPG keeps the key material; trust and revocation
/// semantics live here).
public struct SignerRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "signers"

    public enum RevocationKind: String, Codable, Sendable {
        /// Compromised or no reason: no signature by the key is valid.
        case hard
        /// Superseded or retired: signatures made before `revokedAt` stay valid.
        case soft
    }

    public var fingerprint: String
    /// JSON array of user IDs.
    public var userIDs: String
    public var algorithm: String
    public var created: Date?
    public var expires: Date?
    public var revokedAt: Date?
    public var revocationKind: RevocationKind?
    public var importedAt: Date

    public init(fingerprint: String, userIDs: [String], algorithm: String, created: Date?, expires: Date?,
                revokedAt: Date? = nil, revocationKind: RevocationKind? = nil, importedAt: Date) {
        self.fingerprint = fingerprint
        self.userIDs = String(decoding: (try? JSONEncoder().encode(userIDs)) ?? Data("[]".utf8), as: UTF8.self)
        self.algorithm = algorithm
        self.created = created
        self.expires = expires
        self.revokedAt = revokedAt
        self.revocationKind = revocationKind
        self.importedAt = importedAt
    }

    public var userIDList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(userIDs.utf8))) ?? []
    }
}

/// One row of `repository_trust`: this key may sign charts for this repository.
public struct RepositoryTrustRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "repository_trust"

    public var repository: String
    public var fingerprint: String
    public var addedAt: Date
    public var addedBy: String

    public init(repository: String, fingerprint: String, addedAt: Date, addedBy: String) {
        self.repository = repository
        self.fingerprint = fingerprint
        self.addedAt = addedAt
        self.addedBy = addedBy
    }
}

/// One row of `provenance_verdicts`: the outcome of one verification. `chartVersionID` is set
/// for verdicts that let a chart in (written in the chart's own transaction) and nil for
/// rejections, which store nothing else.
public struct ProvenanceVerdictRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "provenance_verdicts"

    public var id: Int64?
    public var chartVersionID: Int64?
    public var repository: String
    public var name: String
    public var version: String
    public var signerFingerprint: String?
    public var signedAt: Date?
    public var passed: Bool
    /// The whole verdict as JSON (checks with details, signer, hash, digest).
    public var checks: String
    public var createdAt: Date

    public init(id: Int64? = nil, chartVersionID: Int64? = nil, repository: String, name: String, version: String,
                signerFingerprint: String?, signedAt: Date?, passed: Bool, checks: String, createdAt: Date) {
        self.id = id
        self.chartVersionID = chartVersionID
        self.repository = repository
        self.name = name
        self.version = version
        self.signerFingerprint = signerFingerprint
        self.signedAt = signedAt
        self.passed = passed
        self.checks = checks
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A stored chart with the verdict that let it in: what re-evaluation and the signer views need.
public struct SignedChart: Sendable, Equatable {
    public var chart: ChartVersionRecord
    public var verdict: ProvenanceVerdictRecord

    public init(chart: ChartVersionRecord, verdict: ProvenanceVerdictRecord) {
        self.chart = chart
        self.verdict = verdict
    }
}

/// A content-policy verdict (which kinds a chart creates, what broke the repository's rules),
/// linked to the chart row it let in, or unlinked when the upload was refused.
public struct ContentVerdictRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "content_verdicts"

    public var id: Int64?
    public var chartVersionID: Int64?
    public var repository: String
    public var name: String
    public var version: String
    /// No violation the policy denies.
    public var passed: Bool
    /// The upload was refused because of this verdict.
    public var refused: Bool
    /// The whole verdict as JSON (mode, violations, exemptions).
    public var verdict: String
    public var createdAt: Date

    public init(id: Int64? = nil, chartVersionID: Int64? = nil, repository: String, name: String, version: String,
                passed: Bool, refused: Bool, verdict: String, createdAt: Date) {
        self.id = id
        self.chartVersionID = chartVersionID
        self.repository = repository
        self.name = name
        self.version = version
        self.passed = passed
        self.refused = refused
        self.verdict = verdict
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

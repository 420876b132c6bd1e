import PostgresNIO
import Storage

/// The PostgreSQL schema, one numbered migration at a time; `chartwarden_migrations` records
/// which ones ran. Applied at start in one transaction under a transaction-scoped advisory lock,
/// so replicas starting together apply each migration once: the others wait on the lock, then
/// find it recorded. Columns mirror the SQLite schema (`SQLiteMetadataStore+Migrations`) in
/// snake case; the live-file-name unique index is there from the start (no legacy rows).
enum PostgresMigrations {
    /// The advisory lock key of schema changes ("CWmigrat" read as a number): one value shared
    /// by every replica.
    static let lockKey: Int64 = 0x4357_6D69_6772_6174

    /// Appended to, never edited: a migration that ran on some database must stay as it was.
    static let all: [(version: Int, name: String, statements: [String])] = [
        (1, "charts, trust, verdicts, audit, blobs", [
            """
            CREATE TABLE repositories (name text PRIMARY KEY, created_at timestamptz NOT NULL)
            """,
            """
            CREATE TABLE chart_versions (
              id bigserial PRIMARY KEY,
              repository text NOT NULL REFERENCES repositories (name) ON DELETE RESTRICT,
              name text NOT NULL, version text NOT NULL, digest text NOT NULL, size bigint NOT NULL,
              created timestamptz NOT NULL, uploader text NOT NULL,
              status text NOT NULL CHECK (status IN ('active', 'pending', 'quarantined', 'deleted')),
              status_reason text, metadata text NOT NULL, provenance_digest text,
              UNIQUE (repository, name, version))
            """,
            "CREATE INDEX chart_versions_by_status ON chart_versions (repository, status)",
            "CREATE INDEX chart_versions_by_digest ON chart_versions (digest)",
            "CREATE INDEX chart_versions_by_provenance_digest ON chart_versions (provenance_digest)",
            // A chart's file name N-V.tgz, compared without case, belongs to one live row
            // (SQLiteMetadataStore.uniqueLiveFileNames says why).
            """
            CREATE UNIQUE INDEX chart_versions_live_file_name ON chart_versions (repository, lower(name || '-' || version))
            WHERE status IN ('active', 'quarantined')
            """,
            """
            CREATE TABLE signers (
              fingerprint text PRIMARY KEY, user_ids text NOT NULL, algorithm text NOT NULL,
              created timestamptz, expires timestamptz, revoked_at timestamptz,
              revocation_kind text CHECK (revocation_kind IN ('hard', 'soft')), imported_at timestamptz NOT NULL)
            """,
            """
            CREATE TABLE repository_trust (
              repository text NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
              fingerprint text NOT NULL REFERENCES signers (fingerprint) ON DELETE CASCADE,
              added_at timestamptz NOT NULL, added_by text NOT NULL,
              PRIMARY KEY (repository, fingerprint))
            """,
            // The key material itself, armored, with the revocations GnuPG adopted: each
            // replica's GnuPG home is rebuilt from here.
            """
            CREATE TABLE signer_keys (fingerprint text PRIMARY KEY, armored text NOT NULL, updated_at timestamptz NOT NULL)
            """,
            """
            CREATE TABLE provenance_verdicts (
              id bigserial PRIMARY KEY,
              chart_version_id bigint REFERENCES chart_versions (id) ON DELETE CASCADE,
              repository text NOT NULL, name text NOT NULL, version text NOT NULL,
              signer_fingerprint text, signed_at timestamptz, passed boolean NOT NULL, checks text NOT NULL,
              created_at timestamptz NOT NULL)
            """,
            "CREATE INDEX provenance_verdicts_by_chart ON provenance_verdicts (chart_version_id)",
            """
            CREATE TABLE content_verdicts (
              id bigserial PRIMARY KEY,
              chart_version_id bigint REFERENCES chart_versions (id) ON DELETE CASCADE,
              repository text NOT NULL, name text NOT NULL, version text NOT NULL,
              passed boolean NOT NULL, refused boolean NOT NULL, verdict text NOT NULL, created_at timestamptz NOT NULL)
            """,
            "CREATE INDEX content_verdicts_by_chart ON content_verdicts (chart_version_id)",
            "CREATE INDEX content_verdicts_by_version ON content_verdicts (repository, name, version)",
            """
            CREATE TABLE audit_events (
              id bigserial PRIMARY KEY, at timestamptz NOT NULL, repository text, actor text NOT NULL,
              action text NOT NULL, outcome text NOT NULL, subject text, detail text)
            """,
            "CREATE INDEX audit_events_by_time ON audit_events (at)",
            "CREATE INDEX audit_events_by_repository ON audit_events (repository, id)",
            // Chart and prov bytes, content-addressed: one row per distinct content.
            """
            CREATE TABLE blobs (digest text PRIMARY KEY, size bigint NOT NULL, bytes bytea NOT NULL)
            """,
        ]),
        // Scoped API tokens (SQLite `v6-api-tokens`).
        (2, "api tokens", [
            """
            CREATE TABLE api_tokens (
              id text PRIMARY KEY, name text NOT NULL, secret_hash text NOT NULL, repositories text NOT NULL,
              actions text NOT NULL, created_at timestamptz NOT NULL, created_by text NOT NULL,
              expires_at timestamptz NOT NULL, revoked_at timestamptz, revoked_by text)
            """,
            "CREATE INDEX api_tokens_by_name ON api_tokens (name)",
        ]),
        // The OCI front door's manifests and uploaded blobs (SQLite `v6-oci`).
        (3, "oci manifests and blob uploads", [
            """
            CREATE TABLE oci_manifests (
              id bigserial PRIMARY KEY,
              repository text NOT NULL REFERENCES repositories (name) ON DELETE RESTRICT,
              name text NOT NULL, version text NOT NULL, digest text NOT NULL, media_type text NOT NULL,
              content bytea NOT NULL, config_digest text NOT NULL, chart_digest text NOT NULL, provenance_digest text,
              generated boolean NOT NULL, created timestamptz NOT NULL,
              UNIQUE (repository, name, digest))
            """,
            "CREATE INDEX oci_manifests_by_config_digest ON oci_manifests (config_digest)",
            "CREATE INDEX oci_manifests_by_version ON oci_manifests (repository, name, version)",
            """
            CREATE TABLE oci_blob_uploads (
              repository text NOT NULL REFERENCES repositories (name) ON DELETE RESTRICT,
              name text NOT NULL, digest text NOT NULL, size bigint NOT NULL, uploader text NOT NULL,
              uploaded_at timestamptz NOT NULL,
              PRIMARY KEY (repository, name, digest))
            """,
            "CREATE INDEX oci_blob_uploads_by_digest ON oci_blob_uploads (digest)",
            "CREATE INDEX oci_blob_uploads_by_age ON oci_blob_uploads (uploaded_at)",
        ]),
        // Retention finds the oldest unlinked verdicts in index order, not by sorting them all
        // (SQLite `v6-blob-references-and-retention`; the digest indexes are in migration 1).
        (4, "retention indexes", [
            """
            CREATE INDEX provenance_verdicts_unlinked_by_age ON provenance_verdicts (created_at, id)
            WHERE chart_version_id IS NULL
            """,
            """
            CREATE INDEX content_verdicts_unlinked_by_age ON content_verdicts (created_at, id)
            WHERE chart_version_id IS NULL
            """,
            "CREATE INDEX audit_events_by_age ON audit_events (at, id)",
        ]),
        // A refused push's uploads are kept (clients retry a 403) but never served by digest.
        (5, "refused OCI uploads", [
            "ALTER TABLE oci_blob_uploads ADD COLUMN refused boolean NOT NULL DEFAULT false",
            "CREATE INDEX oci_blob_uploads_by_uploader ON oci_blob_uploads (uploader)",
        ]),
        // The change journal (PostgresMetadataStore+Journal): generations per repository (and
        // one for trust), the head counter ids come from, the events.
        (6, "change journal", [
            """
            CREATE TABLE change_generations (
              scope text NOT NULL CHECK (scope IN ('repository', 'trust')), repository text NOT NULL,
              generation bigint NOT NULL, PRIMARY KEY (scope, repository))
            """,
            """
            CREATE TABLE change_journal_head (single boolean PRIMARY KEY DEFAULT true CHECK (single), last_id bigint NOT NULL)
            """,
            "INSERT INTO change_journal_head (single, last_id) VALUES (true, 0)",
            """
            CREATE TABLE change_events (
              id bigint PRIMARY KEY, at timestamptz NOT NULL, type text NOT NULL, repository text,
              generation bigint NOT NULL, name text, version text, fingerprint text, actor text, data text)
            """,
            "CREATE INDEX change_events_by_age ON change_events (at, id)",
        ]),
        // Webhook deliveries (SQLite `v8-webhooks`): per webhook, its journal cursor, the events
        // it is owed (claimed by one replica at a time) and the log of attempts.
        (7, "webhook deliveries", [
            "CREATE TABLE webhook_cursors (webhook text PRIMARY KEY, position text NOT NULL)",
            """
            CREATE TABLE webhook_deliveries (
              id bigserial PRIMARY KEY, webhook text NOT NULL, event_id text NOT NULL, event_type text NOT NULL,
              body text NOT NULL, created_at timestamptz NOT NULL, next_attempt_at timestamptz NOT NULL,
              attempts integer NOT NULL, UNIQUE (webhook, event_id))
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook, next_attempt_at)",
            """
            CREATE TABLE webhook_attempts (
              id bigserial PRIMARY KEY, webhook text NOT NULL, url text NOT NULL, event_id text NOT NULL,
              event_type text NOT NULL, attempt integer NOT NULL, status_code integer, error text, outcome text NOT NULL,
              at timestamptz NOT NULL, next_attempt_at timestamptz)
            """,
            "CREATE INDEX webhook_attempts_by_age ON webhook_attempts (at, id)",
        ]),
        // Each row's index rendering, so a start joins bytes instead of decoding and rendering
        // every row (SQLite `v9-index-fragments`).
        (8, "index fragments", [
            """
            CREATE TABLE index_fragments (
              chart_version_id bigint PRIMARY KEY REFERENCES chart_versions (id) ON DELETE CASCADE,
              render_key text NOT NULL, item bytea NOT NULL, api_json bytea)
            """,
        ]),
    ]

    /// Applies every migration `database` has not recorded yet; returns the versions applied.
    @discardableResult
    static func migrate(_ database: PostgresPool) throws(StorageError) -> [Int] {
        try database.transaction(patience: .migrations) { session throws(StorageError) in
            try session.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
            try session.execute("""
                CREATE TABLE IF NOT EXISTS chartwarden_migrations (
                  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            var applied: Set<Int> = []
            for row in try session.query("SELECT version FROM chartwarden_migrations") {
                applied.insert(try PostgresRows.decode(row, Int.self))
            }
            if let newest = applied.max(), newest > all.last?.version ?? 0 {
                throw StorageError(.corrupt, "the database schema is version \(newest), newer than this ChartWarden "
                    + "knows (\(all.last?.version ?? 0)): upgrade ChartWarden")
            }
            var ran: [Int] = []
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try session.execute(PostgresQuery(unsafeSQL: statement))
                }
                try session.execute("""
                    INSERT INTO chartwarden_migrations (version, name) VALUES (\(migration.version), \(migration.name))
                    """)
                ran.append(migration.version)
            }
            return ran
        }
    }
}

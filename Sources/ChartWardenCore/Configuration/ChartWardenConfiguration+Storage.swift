import PostgresStorage

/// `storage`: the data directory, and optionally PostgreSQL (README, "PostgreSQL storage").
extension ChartWardenConfiguration {
    public struct Storage: Sendable, Equatable {
        /// With PostgreSQL, only local caches and the GnuPG home (rebuilt from the database).
        public var dataDirectory: String
        /// Metadata, trust and the chart bytes in PostgreSQL instead of SQLite and files.
        public var postgres: Postgres?

        public init(dataDirectory: String, postgres: Postgres? = nil) {
            self.dataDirectory = dataDirectory
            self.postgres = postgres
        }
    }

    /// `storage.postgres`: where the database is, and where its password comes from.
    public struct Postgres: Sendable, Equatable {
        public var url: PostgresURL
        /// A file holding the password (trailing newline ignored); else the
        /// CHARTWARDEN_POSTGRES_PASSWORD environment variable, else the URL's own.
        public var passwordFile: String?

        public init(url: PostgresURL, passwordFile: String? = nil) {
            self.url = url
            self.passwordFile = passwordFile
        }
    }

    static func parseStorage(_ top: YAMLMappingReader) throws(ConfigurationError) -> Storage {
        let storage = try top.mapping("storage", allowedKeys: ["dataDir", "postgres"])
        var postgres: Postgres?
        if let section = try storage?.mapping("postgres", allowedKeys: ["url", "passwordFile"]) {
            guard let text = try section.string("url") else { throw ConfigurationError(key: section.key("url"), "is required") }
            let passwordFile = try section.string("passwordFile")
            let url: PostgresURL
            do {
                url = try PostgresURL(text)
            } catch {
                throw ConfigurationError(key: section.key("url"), error.message)
            }
            postgres = Postgres(url: url, passwordFile: passwordFile)
        }
        return Storage(dataDirectory: try storage?.string("dataDir") ?? "./data", postgres: postgres)
    }
}

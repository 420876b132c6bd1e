/// Chart.yaml as Helm models it (`pkg/chart/metadata.go`): every field Helm knows and no other,
/// because the same fields are written into index.yaml, which Helm parses strictly.
public struct ChartMetadata: Codable, Sendable, Equatable {
    public var name: String
    public var home: String?
    public var sources: [String]?
    public var version: String
    public var description: String?
    public var keywords: [String]?
    public var maintainers: [Maintainer]?
    public var icon: String?
    public var apiVersion: String
    public var condition: String?
    public var tags: String?
    public var appVersion: String?
    public var deprecated: Bool?
    public var annotations: [String: String]?
    public var kubeVersion: String?
    public var dependencies: [Dependency]?
    public var type: String?

    public init(name: String, version: String, apiVersion: String = "v2") {
        self.name = name
        self.version = version
        self.apiVersion = apiVersion
    }

    public struct Maintainer: Codable, Sendable, Equatable {
        public var name: String?
        public var email: String?
        public var url: String?

        public init(name: String? = nil, email: String? = nil, url: String? = nil) {
            self.name = name
            self.email = email
            self.url = url
        }
    }

    public struct Dependency: Codable, Sendable, Equatable {
        public var name: String
        public var version: String?
        public var repository: String?
        public var condition: String?
        public var tags: [String]?
        public var enabled: Bool?
        public var importValues: [ImportValue]?
        public var alias: String?

        public init(name: String, version: String? = nil, repository: String? = nil) {
            self.name = name
            self.version = version
            self.repository = repository
        }

        enum CodingKeys: String, CodingKey {
            case name, version, repository, condition, tags, enabled, alias
            case importValues = "import-values"
        }
    }

    /// An `import-values` item: either a child key name, or an explicit child/parent mapping.
    public enum ImportValue: Codable, Sendable, Equatable {
        case key(String)
        case mapping(child: String, parent: String)

        private enum MappingKeys: String, CodingKey { case child, parent }

        public init(from decoder: any Decoder) throws {
            if let key = try? decoder.singleValueContainer().decode(String.self) {
                self = .key(key)
                return
            }
            let container = try decoder.container(keyedBy: MappingKeys.self)
            self = .mapping(child: try container.decode(String.self, forKey: .child),
                            parent: try container.decode(String.self, forKey: .parent))
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .key(let key):
                var container = encoder.singleValueContainer()
                try container.encode(key)
            case .mapping(let child, let parent):
                var container = encoder.container(keyedBy: MappingKeys.self)
                try container.encode(child, forKey: .child)
                try container.encode(parent, forKey: .parent)
            }
        }
    }
}

import ChartModel

/// The small value tree an index entry is written from. Keys keep the order given (alphabetical,
/// as Helm writes them), and every scalar is a string or a bool, which is all index.yaml holds.
indirect enum IndexValue {
    case string(String)
    case bool(Bool)
    case list([IndexValue])
    case map([(String, IndexValue)])
}

extension IndexValue {
    /// Builds the value for one version, omitting empty fields exactly like Helm's `omitempty`.
    init(entry: IndexEntry) {
        let metadata = entry.metadata
        var fields: [(String, IndexValue)] = []
        func add(_ key: String, _ value: String?) {
            if let value, !value.isEmpty { fields.append((key, .string(value))) }
        }
        func add(_ key: String, _ values: [String]?) {
            if let values, !values.isEmpty { fields.append((key, .list(values.map(IndexValue.string)))) }
        }
        if let annotations = metadata.annotations, !annotations.isEmpty {
            fields.append(("annotations", .map(annotations.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        add("apiVersion", metadata.apiVersion)
        add("appVersion", metadata.appVersion)
        add("condition", metadata.condition)
        add("created", entry.created)
        if let dependencies = metadata.dependencies, !dependencies.isEmpty {
            fields.append(("dependencies", .list(dependencies.map(IndexValue.init(dependency:)))))
        }
        if metadata.deprecated == true { fields.append(("deprecated", .bool(true))) }
        add("description", metadata.description)
        add("digest", entry.digest)
        add("home", metadata.home)
        add("icon", metadata.icon)
        add("keywords", metadata.keywords)
        add("kubeVersion", metadata.kubeVersion)
        if let maintainers = metadata.maintainers, !maintainers.isEmpty {
            fields.append(("maintainers", .list(maintainers.map { maintainer in
                var items: [(String, IndexValue)] = []
                if let email = maintainer.email, !email.isEmpty { items.append(("email", .string(email))) }
                if let name = maintainer.name, !name.isEmpty { items.append(("name", .string(name))) }
                if let url = maintainer.url, !url.isEmpty { items.append(("url", .string(url))) }
                return .map(items)
            })))
        }
        add("name", metadata.name)
        add("sources", metadata.sources)
        add("tags", metadata.tags)
        add("type", metadata.type)
        fields.append(("urls", .list(entry.urls.map(IndexValue.string))))
        add("version", metadata.version)
        self = .map(fields)
    }

    init(dependency: ChartMetadata.Dependency) {
        var fields: [(String, IndexValue)] = []
        if let alias = dependency.alias, !alias.isEmpty { fields.append(("alias", .string(alias))) }
        if let condition = dependency.condition, !condition.isEmpty { fields.append(("condition", .string(condition))) }
        if let enabled = dependency.enabled, enabled { fields.append(("enabled", .bool(true))) }
        if let importValues = dependency.importValues, !importValues.isEmpty {
            fields.append(("import-values", .list(importValues.map { item in
                switch item {
                case .key(let key): return .string(key)
                case .mapping(let child, let parent): return .map([("child", .string(child)), ("parent", .string(parent))])
                }
            })))
        }
        fields.append(("name", .string(dependency.name)))
        if let repository = dependency.repository, !repository.isEmpty { fields.append(("repository", .string(repository))) }
        if let tags = dependency.tags, !tags.isEmpty { fields.append(("tags", .list(tags.map(IndexValue.string)))) }
        if let version = dependency.version, !version.isEmpty { fields.append(("version", .string(version))) }
        self = .map(fields)
    }
}

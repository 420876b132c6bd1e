import Yams

/// Reads one YAML mapping of the configuration strictly: every key must be known, every value
/// of the expected type, and every error names the full key path.
package struct YAMLMappingReader {
    package let path: String
    private let values: [String: Node]

    package init(_ node: Node, path: String, allowedKeys: Set<String>) throws(ConfigurationError) {
        self.path = path
        guard let mapping = node.mapping else {
            throw ConfigurationError(key: path, "expected a mapping")
        }
        var values: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw ConfigurationError(key: path, "keys must be strings")
            }
            let full = Self.join(path, key)
            guard allowedKeys.contains(key) else {
                throw ConfigurationError(key: full, "unknown key (allowed: \(allowedKeys.sorted().joined(separator: ", ")))")
            }
            guard values[key] == nil else { throw ConfigurationError(key: full, "duplicate key") }
            values[key] = value
        }
        self.values = values
    }

    package static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package func key(_ key: String) -> String { Self.join(path, key) }

    /// The node for `key`, nil when absent or null.
    package func node(_ key: String) -> Node? {
        guard let node = values[key] else { return nil }
        if let scalar = node.scalar, scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
            return nil
        }
        return node
    }

    package func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = node(key) else { return nil }
        guard let scalar = node.scalar else { throw ConfigurationError(key: self.key(key), "expected a string") }
        return scalar.string
    }

    package func int(_ key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let node = node(key) else { return nil }
        guard let value = node.scalar.flatMap({ Int($0.string) }) else {
            throw ConfigurationError(key: self.key(key), "expected an integer")
        }
        guard range.contains(value) else {
            throw ConfigurationError(key: self.key(key), "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// A decimal number (an integer or a fraction such as `0.5`), finite and within `range`;
    /// `bounds` says the range in the error.
    package func number(_ key: String, range: ClosedRange<Double>, bounds: String) throws(ConfigurationError) -> Double? {
        guard let node = node(key) else { return nil }
        guard let value = node.scalar.flatMap({ Double($0.string) }), value.isFinite else {
            throw ConfigurationError(key: self.key(key), "expected a number")
        }
        guard range.contains(value) else {
            throw ConfigurationError(key: self.key(key), "must be \(bounds)")
        }
        return value
    }

    package func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = node(key) else { return nil }
        switch node.scalar?.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw ConfigurationError(key: self.key(key), "expected true or false")
        }
    }

    package func stringList(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = node(key) else { return nil }
        guard let sequence = node.sequence else { throw ConfigurationError(key: self.key(key), "expected a list of strings") }
        var strings: [String] = []
        for (index, item) in sequence.enumerated() {
            guard let scalar = item.scalar else {
                throw ConfigurationError(key: "\(self.key(key))[\(index)]", "expected a string")
            }
            strings.append(scalar.string)
        }
        return strings
    }

    package func mapping(_ key: String, allowedKeys: Set<String>) throws(ConfigurationError) -> YAMLMappingReader? {
        guard let node = node(key) else { return nil }
        return try YAMLMappingReader(node, path: self.key(key), allowedKeys: allowedKeys)
    }

    package func sequence(_ key: String) throws(ConfigurationError) -> [Node]? {
        guard let node = node(key) else { return nil }
        guard let sequence = node.sequence else { throw ConfigurationError(key: self.key(key), "expected a list") }
        return Array(sequence)
    }

    /// A mapping of string to list of strings (auth.groups).
    package func stringListMapping(_ key: String) throws(ConfigurationError) -> [String: [String]]? {
        guard let node = node(key) else { return nil }
        guard let mapping = node.mapping else { throw ConfigurationError(key: self.key(key), "expected a mapping") }
        let keys = Set(mapping.keys.compactMap { $0.scalar?.string })
        let reader = try YAMLMappingReader(node, path: self.key(key), allowedKeys: keys)
        var result: [String: [String]] = [:]
        for name in keys { result[name] = try reader.stringList(name) ?? [] }
        return result
    }
}

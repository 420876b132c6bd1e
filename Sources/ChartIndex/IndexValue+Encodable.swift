/// Index values go through a real JSON encoder (Foundation's `JSONEncoder`, see `IndexJSON`): a chart's
/// text is never escaped by hand into JSON.
extension IndexValue: Encodable {
    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        case .bool(let bool):
            var container = encoder.singleValueContainer()
            try container.encode(bool)
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .map(let fields):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in fields { try container.encode(value, forKey: Key(stringValue: key)) }
        }
    }
}

/// An entry encodes as exactly the fields of its index item (Helm's `ChartVersion` JSON names).
extension IndexEntry: Encodable {
    public func encode(to encoder: any Encoder) throws {
        try IndexValue(entry: self).encode(to: encoder)
    }
}

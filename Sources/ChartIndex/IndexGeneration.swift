/// Names one state of a repository's index: the ETag comes from it, not from hashing the bytes.
///
/// `instance` is drawn at random when the index is built at start, so that a counter restarting
/// from zero after a restart never names different bytes with an ETag a client already holds.
public struct IndexGeneration: Sendable, Hashable {
    public let repository: String
    public let instance: UInt64
    public let counter: UInt64

    public init(repository: String, instance: UInt64 = .random(in: 1...UInt64.max), counter: UInt64 = 0) {
        self.repository = repository
        self.instance = instance
        self.counter = counter
    }

    public func next() -> IndexGeneration {
        IndexGeneration(repository: repository, instance: instance, counter: counter &+ 1)
    }

    /// A quoted strong validator. Only letters, digits, `-`, `_` and `.` of the repository name are
    /// kept, so nothing in a name can end the quoted tag; `instance` + `counter` make it unique.
    public func etag(format: RepositoryIndex.Format, gzip: Bool) -> String {
        let safeName = String(repository.unicodeScalars.filter { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_" || scalar == ".")
        }.prefix(64))
        let hex = String(instance, radix: 16)
        return "\"\(safeName)-\(String(repeating: "0", count: 16 - hex.count) + hex)-\(counter)-\(format.rawValue)\(gzip ? "-gzip" : "")\""
    }
}

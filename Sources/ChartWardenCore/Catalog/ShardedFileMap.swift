/// A dictionary by file name, split into a fixed number of shards, for the maps every snapshot
/// carries (`IndexSnapshot.files`, `.withheld`). A snapshot shares its maps with the writer's
/// state; a plain dictionary would then be copied whole by the next change (every entry retained,
/// and the old copy freed later), which made one upload cost the size of the repository. Here a
/// change copies the shard array (references only) and the one shard it touches: at 100,000
/// files, about 1,000 references and 100 entries.
package struct ShardedFileMap<Value: Sendable>: Sendable, ExpressibleByDictionaryLiteral {
    static var shardCount: Int { 1_024 }

    private var shards: [[String: Value]]
    package private(set) var count = 0
    package var isEmpty: Bool { count == 0 }

    package init() {
        shards = Array(repeating: [:], count: Self.shardCount)
    }

    package init(dictionaryLiteral elements: (String, Value)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    /// The shard of `name`: its hash within this process (maps are never persisted).
    private static func shard(of name: String) -> Int {
        Int(UInt(bitPattern: name.hashValue) % UInt(shardCount))
    }

    package subscript(name: String) -> Value? {
        get { shards[Self.shard(of: name)][name] }
        set {
            let shard = Self.shard(of: name)
            let replaced: Value?
            if let newValue {
                replaced = shards[shard].updateValue(newValue, forKey: name)
                if replaced == nil { count += 1 }
            } else {
                replaced = shards[shard].removeValue(forKey: name)
                if replaced != nil { count -= 1 }
            }
        }
    }
}

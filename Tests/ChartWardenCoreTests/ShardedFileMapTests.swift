import ChartWardenCore
import Testing

@Suite struct ShardedFileMapTests {
    /// Reads, replaces and removes like a dictionary, counting what it holds.
    @Test func behavesLikeADictionary() {
        var map: ShardedFileMap<Int> = ["a-1.0.0.tgz": 1]
        var reference: [String: Int] = ["a-1.0.0.tgz": 1]
        for index in 0..<5_000 {
            let name = "chart-\(index % 700)-\(index % 13).tgz"
            if index % 3 == 0 {
                map[name] = nil
                reference[name] = nil
            } else {
                map[name] = index
                reference[name] = index
            }
        }
        #expect(map.count == reference.count)
        for (name, value) in reference { #expect(map[name] == value) }
        #expect(map["never-1.0.0.tgz"] == nil)
    }

    /// A snapshot keeps what it was given: changes after it (which copy one shard) do not show in it.
    @Test func aCopyIsUnaffectedByLaterChanges() {
        var map: ShardedFileMap<String> = [:]
        for index in 0..<2_000 { map["chart-\(index).tgz"] = "v\(index)" }
        let snapshot = map
        map["chart-5.tgz"] = "replaced"
        map["chart-6.tgz"] = nil
        map["new.tgz"] = "added"
        #expect(snapshot["chart-5.tgz"] == "v5" && snapshot["chart-6.tgz"] == "v6" && snapshot["new.tgz"] == nil)
        #expect(snapshot.count == 2_000 && map.count == 2_000)
        #expect(map["chart-5.tgz"] == "replaced" && map["chart-6.tgz"] == nil && map["new.tgz"] == "added")
    }
}

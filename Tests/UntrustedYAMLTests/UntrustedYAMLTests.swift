import Testing
import UntrustedYAML
import Yams

@Suite struct UntrustedYAMLTests {
    static func refusal(_ yaml: String, limits: UntrustedYAMLLimits = .chartMetadata) -> UntrustedYAMLError? {
        #expect(throws: UntrustedYAMLError.self) { try UntrustedYAML.compose(yaml, limits: limits) }
    }

    /// A billion-laughs document: nine levels of ten aliases each.
    static let billionLaughs: String = {
        var lines = ["a0: &a0 [\"lol\"]"]
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(refs)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func composesAChartYAMLAsYamsWould() throws {
        let text = """
            apiVersion: v2
            name: web
            version: "1.0.0"
            appVersion: 1.10
            deprecated: true
            quoted: "1"
            plain: 1
            keywords: [a, 'b']
            annotations:
              "1": quoted key
              "x/y": |
                line one
            dependencies:
              - name: db
                import-values: [data, {child: a, parent: b}]
            """
        let node = try #require(try UntrustedYAML.compose(text))
        let reference = try #require(try Yams.compose(yaml: text))
        #expect(node == reference)
        #expect(node["quoted"]?.int == nil && node["plain"]?.int == 1, "quoted scalars are strings")
        #expect(node["appVersion"]?.string == "1.10")
        #expect(node["deprecated"]?.bool == true)
        #expect(node["annotations"]?.mapping?.first?.key.int == nil, "a quoted key keeps its string tag")
        #expect(node["dependencies"]?[0]?["import-values"]?[1]?["parent"]?.string == "b")
    }

    @Test func emptyStreamHasNoRoot() throws {
        #expect(try UntrustedYAML.compose("") == nil)
        #expect(try UntrustedYAML.compose("# only a comment\n") == nil)
    }

    @Test(arguments: [
        (billionLaughs, UntrustedYAMLError.Code.anchor),
        ("a: &x b\n", .anchor),
        ("a: &x [1]\n", .anchor),
        ("a: *x\n", .alias),
        ("? [x]\n: y\n", .nonScalarKey),
        ("? {a: b}\n: y\n", .nonScalarKey),
        ("{[x]: y}\n", .nonScalarKey),
        ("- {? [a, b] : c}\n", .nonScalarKey),
        ("<<: {name: evil}\nname: good\n", .mergeKey),
        ("name: a\nname: b\n", .duplicateKey),
        ("name: a\n\"name\": b\n", .duplicateKey),
        ("x: {a: 1, 'a': 2}\n", .duplicateKey),
        ("name: !!str a\n", .tag),
        ("name: !custom a\n", .tag),
        ("keywords: !!seq [a]\n", .tag),
        ("name: a\n---\nname: b\n", .multipleDocuments),
        ("name: [a\n", .syntax),
        ("a:\tb: c\n  - d\n", .syntax),
    ])
    func refuses(yaml: String, code: UntrustedYAMLError.Code) {
        let error = Self.refusal(yaml)
        #expect(error?.code == code, "\(yaml): \(error?.message ?? "no error")")
    }

    /// Aliases used as keys made Yams's duplicate check hash the expanded tree; here the first
    /// anchor already ends the parse.
    @Test func aliasBombAsKeysIsRefusedAtTheAnchor() {
        let yaml = Self.billionLaughs + "map:\n  ? *a9\n  : 1\n  ? *a8\n  : 2\n"
        #expect(Self.refusal(yaml)?.code == .anchor)
    }

    @Test func errorsNameTheKeyPathAndLine() {
        let error = Self.refusal("name: x\ndependencies:\n  - name: db\n    tags: [a, *b]\n")
        #expect(error?.code == .alias)
        #expect(error?.message.contains("dependencies[0].tags[1]") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("line 4") == true, "\(error?.message ?? "")")
        let duplicate = Self.refusal("annotations:\n  a: 1\n  a: 2\n")
        #expect(duplicate?.message.contains("'a'") == true && duplicate?.message.contains("line 3") == true,
                "\(duplicate?.message ?? "")")
    }

    @Test func capsAreEnforced() throws {
        let limits = UntrustedYAMLLimits(maxBytes: 1_000, maxNodes: 20, maxDepth: 3)
        #expect(Self.refusal(String(repeating: "#", count: 1_001), limits: limits)?.code == .tooLarge)
        #expect(Self.refusal("k: [" + Array(repeating: "a", count: 20).joined(separator: ",") + "]", limits: limits)?.code == .tooManyNodes)
        #expect(Self.refusal("a: {b: {c: [d]}}", limits: limits)?.code == .tooDeep)
        #expect(try UntrustedYAML.compose("a: {b: [c]}", limits: limits) != nil)
        // Deep flow nesting is refused at the cap, before anything recursive sees it; libyaml
        // itself stops at 1,000 levels.
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(Self.refusal(deep)?.code == .tooDeep)
        let deeper = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(Self.refusal(deeper) != nil)
        // A document at the default node cap composes (mapping, key, sequence, 9,997 items).
        let full = "k: [" + Array(repeating: "a", count: 9_997).joined(separator: ",") + "]"
        #expect(try UntrustedYAML.compose(full)?["k"]?.sequence?.count == 9_997)
        #expect(Self.refusal("k: [" + Array(repeating: "a", count: 9_998).joined(separator: ",") + "]")?.code == .tooManyNodes)
        let defaults = UntrustedYAMLLimits.chartMetadata
        #expect(defaults.maxBytes == 256 << 10 && defaults.maxNodes == 10_000 && defaults.maxDepth == 32)
        #expect(defaults.maxMappingPairs == 1_000)
    }

    /// Yams decodes a `[String: String]` with a linear lookup per key, so one mapping's size is
    /// capped: 1,000 keys compose, the 1,001st is refused where it stands, in block or flow style.
    @Test func keysPerMappingAreCapped() throws {
        func block(_ count: Int) -> String { "annotations:\n" + (0..<count).map { "  k\($0): v\n" }.joined() }
        #expect(try UntrustedYAML.compose(block(1_000))?["annotations"]?.mapping?.count == 1_000)
        let error = Self.refusal(block(1_001))
        #expect(error?.code == .tooManyPairs)
        #expect(error?.message == "a YAML mapping has more than 1000 keys (at annotations, line 1002)", "\(error?.message ?? "")")
        let flow = "{" + (0..<1_001).map { "k\($0): v" }.joined(separator: ", ") + "}"
        #expect(Self.refusal(flow)?.code == .tooManyPairs)
        #expect(Self.refusal("a: 1\nb: 2\nc: 3\n", limits: UntrustedYAMLLimits(maxMappingPairs: 2))?.code == .tooManyPairs)
    }

    /// The parser struct lives on the heap (libyaml keeps pointers into it): many parsers, made
    /// and dropped while others are alive, each read their own input.
    @Test func parsersAreIndependent() throws {
        var nodes: [Node] = []
        for index in 0..<200 {
            nodes.append(try #require(try UntrustedYAML.compose("name: chart\(index)\nkeywords: [a, b]\n")))
        }
        #expect(nodes.enumerated().allSatisfy { $0.element["name"]?.string == "chart\($0.offset)" })
    }

    @Test func printableSetFollowsYAML12() {
        for value: UInt32 in [0x09, 0x0a, 0x0d, 0x20, 0x7e, 0x85, 0xa0, 0xd7ff, 0xe000, 0xfffd, 0x10000, 0x10ffff] {
            #expect(YAMLPrintable.allowsRaw(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        for value: UInt32 in [0x00, 0x08, 0x0b, 0x1f, 0x7f, 0x80, 0x84, 0x9f, 0xfeff, 0xfffe, 0xffff] {
            #expect(!YAMLPrintable.allowsRaw(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        for value: UInt32 in [0x85, 0x2028, 0x2029] {
            let scalar = Unicode.Scalar(value)!
            #expect(YAMLPrintable.mustEscape(scalar) && !YAMLPrintable.fitsInKey(scalar), "YAML 1.1 line break U+\(String(value, radix: 16))")
        }
        for scalar: Unicode.Scalar in ["\t", "\n", "\r"] { #expect(!YAMLPrintable.fitsInKey(scalar)) }
        for scalar: Unicode.Scalar in ["a", "\"", "\\", "é", "\u{1F600}"] { #expect(YAMLPrintable.fitsInKey(scalar)) }
        #expect(YAMLPrintable.excerpt(String(repeating: "k", count: 64)) == String(repeating: "k", count: 64))
        #expect(YAMLPrintable.excerpt(String(repeating: "k", count: 65)) == String(repeating: "k", count: 64) + "…")
    }
}

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
    }

    @Test func printableSetFollowsYAML12() {
        for value: UInt32 in [0x09, 0x0a, 0x0d, 0x20, 0x7e, 0x85, 0xa0, 0xd7ff, 0xe000, 0xfffd, 0x10000, 0x10ffff] {
            #expect(YAMLPrintable.allowsRaw(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        for value: UInt32 in [0x00, 0x08, 0x0b, 0x1f, 0x7f, 0x80, 0x84, 0x9f, 0xfeff, 0xfffe, 0xffff] {
            #expect(!YAMLPrintable.allowsRaw(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
    }
}

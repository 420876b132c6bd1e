import ChartModel
import Testing

@Suite struct SemanticVersionTests {
    @Test(arguments: ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                      "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
                      "1.0.0-rc.1+build.1", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "2.0.0-beta.2+build.7"])
    func accepts(text: String) {
        #expect(SemanticVersion(text)?.description == text)
    }

    @Test(arguments: ["", "1", "1.2", "v1.2.3", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.3-01",
                      "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.3+a..b", "1.2.3-a_b", "-1.2.3", "1.2.3 ",
                      "1.2.3-ä", "99999999999999999999.0.0"])
    func refuses(text: String) {
        #expect(SemanticVersion(text) == nil)
    }

    /// The precedence example of SemVer 2 §11, which Helm (Masterminds semver) follows.
    @Test func specificationOrder() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                       "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"]
        let versions = try ordered.map { try #require(SemanticVersion($0)) }
        for (lower, higher) in zip(versions, versions.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
        }
        #expect(versions.shuffled().sorted() == versions)
    }

    @Test func buildMetadataDoesNotAffectPrecedence() throws {
        let plain = try #require(SemanticVersion("1.2.0"))
        let built = try #require(SemanticVersion("1.2.0+build.9"))
        #expect(plain.hasSamePrecedence(as: built))
        #expect(plain != built)
        #expect(!(plain < built) && !(built < plain))
    }

    @Test func newestFirstIsTotalAndStable() throws {
        let texts = ["1.0.0+b", "1.0.0+a", "1.0.0", "1.0.0-rc.1", "0.9.9"]
        let versions = try texts.map { try #require(SemanticVersion($0)) }
        let sorted = versions.shuffled().sorted(by: SemanticVersion.newestFirst).map(\.description)
        #expect(sorted == ["1.0.0+b", "1.0.0+a", "1.0.0", "1.0.0-rc.1", "0.9.9"])
    }

    @Test func numericIdentifiersCompareNumerically() throws {
        #expect(try #require(SemanticVersion("0.3.0-alpha.2")) < #require(SemanticVersion("0.3.0-alpha.10")))
        #expect(try #require(SemanticVersion("1.0.0-2")) < #require(SemanticVersion("1.0.0-10")))
        #expect(try #require(SemanticVersion("1.0.0-10")) < #require(SemanticVersion("1.0.0-a")))
        #expect(try #require(SemanticVersion("1.0.0-B")) < #require(SemanticVersion("1.0.0-a")))
    }
}

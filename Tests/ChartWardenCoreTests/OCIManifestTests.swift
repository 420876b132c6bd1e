import ChartWardenCore
import Foundation
import Testing

/// The strict parsers of the OCI door: JSON, Helm chart manifests, `/v2/` paths and tags.
@Suite("OCI parsing")
struct OCIManifestTests {
    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let digestB = "sha256:" + String(repeating: "b", count: 64)
    static let digestC = "sha256:" + String(repeating: "c", count: 64)

    static func manifest(config: String = HelmChartManifest.configMediaType,
                         layers: [(String, String)] = [(HelmChartManifest.chartMediaType, digestB)],
                         extra: String = "") -> [UInt8] {
        let layerText = layers.map { #"{"mediaType":"\#($0.0)","digest":"\#($0.1)","size":10}"# }.joined(separator: ",")
        return Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"\#(config)","digest":"\#(digestA)","size":2},"layers":[\#(layerText)]\#(extra)}"#.utf8)
    }

    func refusal(_ bytes: [UInt8], contentType: String? = nil) -> OCIError? {
        do {
            _ = try HelmChartManifest.parse(bytes, contentType: contentType)
            return nil
        } catch {
            return error
        }
    }

    @Test func aHelmManifestWithChartAndProvParses() throws {
        let parsed = try HelmChartManifest.parse(Self.manifest(layers: [
            (HelmChartManifest.chartMediaType, Self.digestB), (HelmChartManifest.provenanceMediaType, Self.digestC),
        ], extra: #","annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z"}"#),
                                                 contentType: HelmChartManifest.manifestMediaType)
        #expect(parsed.chart.digest.hex == String(repeating: "b", count: 64))
        #expect(parsed.provenance?.digest.hex == String(repeating: "c", count: 64))
        #expect(parsed.config.size == 2)
    }

    /// A chart manifest may name a subject (referrers); it is a strict descriptor like the others.
    @Test func aSubjectIsKeptAndCheckedLikeADescriptor() throws {
        let subject = #","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(Self.digestC)","size":7}"#
        let parsed = try HelmChartManifest.parse(Self.manifest(extra: subject), contentType: nil)
        #expect(parsed.subject?.digest.hex == String(repeating: "c", count: 64))
        #expect(parsed.withoutCreationTime.subject == parsed.subject)
        #expect(try HelmChartManifest.parse(Self.manifest(), contentType: nil).subject == nil)
        let unknownField = #","subject":{"mediaType":"m","digest":"\#(Self.digestC)","size":7,"urls":["http://x"]}"#
        #expect(refusal(Self.manifest(extra: unknownField))?.code == .manifestInvalid)
        #expect(refusal(Self.manifest(extra: #","subject":{"mediaType":"m","digest":"sha256:ab","size":7}"#))?.code == .manifestInvalid)
    }

    /// The creation time is the one field a re-push may change: a timestamp, never a payload.
    @Test func aCreatedAnnotationLongerThanATimestampIsRefused() {
        let ok = #","annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00.123456789+01:00"}"#
        #expect(refusal(Self.manifest(extra: ok)) == nil)
        let padded = #","annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z\#(String(repeating: " ", count: 60))"}"#
        #expect(refusal(Self.manifest(extra: padded))?.code == .manifestInvalid)
    }

    @Test func foreignArtifactsAreUnsupportedWithTheReason() {
        let image = refusal(Self.manifest(config: "application/vnd.oci.image.config.v1+json"))
        #expect(image?.code == .unsupported)
        #expect(image?.message.contains("only Helm charts") == true)
        #expect(refusal(Self.manifest(), contentType: "application/vnd.oci.image.index.v1+json")?.code == .unsupported)
        #expect(refusal(Self.manifest(extra: #","artifactType":"application/vnd.example+type""#))?.code == .unsupported)
    }

    /// An empty Content-Type, or one with only parameters, is no declared type (it once trapped
    /// on `split(";")[0]` and took the server down); a declared type is read without parameters.
    @Test(arguments: ["", ";", " ; charset=x", "   "])
    func anEmptyContentTypeIsNoDeclaredType(_ contentType: String) throws {
        let parsed = try HelmChartManifest.parse(Self.manifest(), contentType: contentType)
        #expect(parsed.chart.digest.hex == String(repeating: "b", count: 64))
    }

    @Test func aContentTypeIsReadWithoutItsParameters() {
        #expect(refusal(Self.manifest(), contentType: HelmChartManifest.manifestMediaType + "; charset=utf-8") == nil)
        #expect(refusal(Self.manifest(), contentType: "application/json;")?.code == .manifestInvalid)
    }

    @Test func layersOtherThanOneChartAndAtMostOneProvAreInvalid() {
        let chart = (HelmChartManifest.chartMediaType, Self.digestB)
        let prov = (HelmChartManifest.provenanceMediaType, Self.digestC)
        for layers in [[], [chart, chart], [chart, prov, prov], [chart, ("application/octet-stream", Self.digestC)]] {
            #expect(refusal(Self.manifest(layers: layers))?.code == .manifestInvalid, "\(layers)")
        }
    }

    @Test func ambiguousOrForeignJSONIsRefused() {
        let valid = Self.manifest()
        // A second "layers" key: two readers could see two different manifests.
        let duplicate = Array(valid.dropLast()) + Array(#","layers":[]}"#.utf8)
        #expect(refusal(duplicate)?.code == .manifestInvalid)
        #expect(refusal(valid + Array(" x".utf8))?.code == .manifestInvalid)
        #expect(refusal(Self.manifest(extra: #","subject":{}"#))?.code == .manifestInvalid)
        #expect(refusal(Self.manifest(extra: #","unknown":1"#))?.code == .manifestInvalid)
        #expect(refusal(Self.manifest(layers: [(HelmChartManifest.chartMediaType, "sha512:" + String(repeating: "b", count: 128))]))?.code
            == .manifestInvalid)
        #expect(refusal(Array(String(decoding: valid, as: UTF8.self).replacingOccurrences(of: #""size":10"#, with: #""size":1e1"#).utf8))?.code
            == .manifestInvalid)
        #expect(refusal(Array(repeating: UInt8(ascii: " "), count: HelmChartManifest.maxBytes + 1))?.code == .manifestInvalid)
    }

    @Test func strictJSONRefusesWhatReadersDisagreeOn() throws {
        for text in [#"{"a":1,"a":2}"#, #"[1,]"#, #"{"a":01}"#, #""\ud800""#, "[" + String(repeating: "[", count: 20) + "]",
                     #""a\u0000"#, "\u{01}"] {
            #expect((try? StrictJSON.parse(Array(text.utf8))) == nil, "\(text)")
        }
        #expect(try StrictJSON.parse(Array(#"{"k":["\u00e9\ud83d\ude00",true,null,-3]}"#.utf8))
            == .object(["k": .array([.string("é😀"), .bool(true), .null, .integer(-3)])]))
        #expect((try? StrictJSON.parse([0x22, 0xFF, 0x22])) == nil)
    }

    @Test func pathsMapToRepositoryAndChart() throws {
        #expect(try OCIRoute.parse("/v2/") == .base)
        #expect(try OCIRoute.parse("/v2") == .base)
        #expect(try OCIRoute.parse("/v2/stable/signed/manifests/1.0.0")
            == .manifest(OCIAddress(repository: "stable", chart: "signed"), reference: "1.0.0"))
        #expect(try OCIRoute.parse("/v2/signed/manifests/1.0.0")
            == .manifest(OCIAddress(repository: "", chart: "signed"), reference: "1.0.0"))
        #expect(try OCIRoute.parse("/v2/stable/signed/blobs/uploads/") == .uploads(OCIAddress(repository: "stable", chart: "signed")))
        #expect(try OCIRoute.parse("/v2/stable/signed/blobs/uploads/abc")
            == .upload(OCIAddress(repository: "stable", chart: "signed"), id: "abc"))
        #expect(try OCIRoute.parse("/v2/stable/signed/tags/list") == .tags(OCIAddress(repository: "stable", chart: "signed")))
        // A chart may be named like an endpoint word.
        #expect(try OCIRoute.parse("/v2/stable/blobs/blobs/\(Self.digestA)")
            == .blob(OCIAddress(repository: "stable", chart: "blobs"), digest: Self.digestA))
        #expect(try OCIRoute.parse("/v2/stable/signed/other/x") == nil)
        for path in ["/v2/a/b/c/manifests/1", "/v2/Upper/manifests/1", "/v2/a..b/manifests/1", "/v2/-a/manifests/1"] {
            #expect(throws: OCIError.self, "\(path)") { try OCIRoute.parse(path) }
        }
    }

    @Test func tagsAreVersionsWithPlusAsUnderscore() {
        #expect(OCITag.tag(forVersion: "1.1.1+hotfix.3") == "1.1.1_hotfix.3")
        #expect(OCITag.version(forTag: "2.0.0-beta.2_build.7") == "2.0.0-beta.2+build.7")
        #expect(OCITag.isValid("1.0.0"))
        #expect(!OCITag.isValid("1.0.0+x"))
        #expect(!OCITag.isValid(".1"))
        #expect(!OCITag.isValid(String(repeating: "a", count: 129)))
    }
}

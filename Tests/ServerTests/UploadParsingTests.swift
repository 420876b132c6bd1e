@testable import ChartWardenCore
import Testing
@testable import Server

@Suite("Upload parsing")
struct UploadParsingTests {
    @Test func multipartBoundary() {
        #expect(UploadReader.multipartBoundary("multipart/form-data; boundary=abc") == "abc")
        #expect(UploadReader.multipartBoundary("Multipart/Form-Data; charset=x; boundary=\"q r\"") == "q r")
        #expect(UploadReader.multipartBoundary("application/gzip") == nil)
        #expect(UploadReader.multipartBoundary("multipart/form-data") == nil)
        #expect(UploadReader.multipartBoundary(nil) == nil)
    }

    @Test func fieldNames() {
        #expect(UploadReader.fieldName("form-data; name=\"chart\"; filename=\"a.tgz\"") == "chart")
        #expect(UploadReader.fieldName("form-data; name=prov") == "prov")
        #expect(UploadReader.fieldName("form-data") == nil)
    }

    static let prov = """
    -----BEGIN PGP SIGNED MESSAGE-----
    Hash: SHA512

    apiVersion: v2
    name: demo
    version: 1.2.3
    - -dash: escaped
    ...
    files:
      demo-1.2.3.tgz: sha256:00
    -----BEGIN PGP SIGNATURE-----

    wxyz
    -----END PGP SIGNATURE-----
    """

    @Test func provenanceEnvelopeNamesItsChart() throws {
        let envelope = try ProvenanceEnvelope(bytes: Array(Self.prov.utf8))
        #expect(envelope == ProvenanceEnvelope(name: "demo", version: "1.2.3", files: ["demo-1.2.3.tgz": "sha256:00"]))
        #expect(envelope.signedDigest(of: "demo-1.2.3.tgz") == "sha256:00")
    }

    @Test func provenanceEnvelopeRejectsNonsense() {
        for text in ["not a prov", Self.prov.replacingOccurrences(of: "...\n", with: ""),
                     Self.prov.replacingOccurrences(of: "-----BEGIN PGP SIGNATURE-----", with: "")] {
            #expect(throws: ServiceError.self) { try ProvenanceEnvelope(bytes: Array(text.utf8)) }
        }
    }

    @Test func gzipNegotiation() {
        #expect(HelmResponses.acceptsGzip("gzip, deflate"))
        #expect(HelmResponses.acceptsGzip("br;q=1, gzip;q=0.5"))
        #expect(!HelmResponses.acceptsGzip("gzip;q=0"))
        #expect(!HelmResponses.acceptsGzip("identity"))
        #expect(!HelmResponses.acceptsGzip(nil))
        #expect(HelmResponses.matches("\"a\", \"b\"", "\"b\""))
        #expect(HelmResponses.matches("*", "\"b\""))
        #expect(!HelmResponses.matches("\"a\"", "\"b\""))
    }
}

import ChartWardenCore
import Testing
@testable import Server

@Suite("Multipart form data")
struct MultipartFormDataTests {
    static func parts(_ text: String, boundary: String = "XyZ") throws(ServiceError) -> [MultipartFormData.Part] {
        try MultipartFormData.parts(of: Array(text.utf8), boundary: boundary)
    }

    @Test func fieldsWithPreambleEpilogueAndAnEmptyPart() throws {
        let body = "preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name=\"chart\"; filename=\"a.tgz\"\r\n"
            + "Content-Type: application/gzip\r\n\r\nCHART\r\n--XyZ\r\ncontent-disposition: form-data; name=prov\r\n\r\n"
            + "\r\n--XyZ\r\n\r\nanonymous\r\n--XyZ--\r\nepilogue"
        #expect(try Self.parts(body) == [
            .init(name: "chart", body: Array("CHART".utf8)[...]),
            .init(name: "prov", body: []),
            .init(name: nil, body: Array("anonymous".utf8)[...]),
        ])
    }

    @Test func aBodyMayHoldTheBoundaryTextWithoutALineBreak() throws {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=chart\r\n\r\na--XyZb\n--XyZ\r\r\n--XyZ--"
        #expect(try Self.parts(body).map { String(decoding: $0.body, as: UTF8.self) } == ["a--XyZb\n--XyZ\r"])
    }

    /// MultipartKit aborted the process on this (a header-name byte of 0x80 or more).
    @Test func aNonASCIIHeaderNameIsABadRequest() throws {
        var body = Array("--XyZ\r\nC".utf8) + [0xB5] + Array("ntent: x\r\n\r\nA\r\n--XyZ--".utf8)
        #expect(throws: ServiceError.self) { try MultipartFormData.parts(of: body, boundary: "XyZ") }
        body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"ch\u{e9}rt\"\r\n\r\nA\r\n--XyZ--".utf8)
        #expect(try MultipartFormData.parts(of: body, boundary: "XyZ").first?.name == "ch\u{e9}rt")
    }

    @Test(arguments: [
        ("", "XyZ"),                                                                 // no boundary at all
        ("--XyZ\r\nContent-Disposition: form-data; name=chart\r\n\r\nA", "XyZ"),     // part never closed
        ("--XyZ\r\nContent-Disposition: form-data; name=chart", "XyZ"),              // headers never end
        ("--XyZ\nContent-Disposition: form-data; name=chart\n\nA\n--XyZ--", "XyZ"),  // LF line endings
        ("--XyZ\r\nno colon here\r\n\r\nA\r\n--XyZ--", "XyZ"),
        ("--XyZ\r\nA: 1\r\n folded\r\n\r\nA\r\n--XyZ--", "XyZ"),                     // obsolete line folding
        ("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nA\r\n--XyZ--", "XyZ"),
        ("--XyZ garbage\r\n\r\nA\r\n--XyZ--", "XyZ"),
        ("--" + String(repeating: "b", count: 71) + "\r\n\r\nA\r\n--" + String(repeating: "b", count: 71) + "--",
         String(repeating: "b", count: 71)),
    ])
    func malformedBodiesAreBadRequests(body: String, boundary: String) {
        #expect {
            try Self.parts(body, boundary: boundary)
        } throws: { error in
            (error as? ServiceError)?.code == .badRequest
        }
    }
}

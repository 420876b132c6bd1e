import Foundation
import Testing
@testable import Server

@Suite("Basic credentials")
struct BasicCredentialsTests {
    func header(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }

    @Test func parsesUserAndPasswordWithColons() throws {
        let credentials = try BasicCredentials(authorization: header("alice:pa:ss wörd"))
        #expect(credentials == BasicCredentials(user: "alice", password: "pa:ss wörd"))
        #expect(try BasicCredentials(authorization: "basic " + Data("bob:".utf8).base64EncodedString()).password == "")
    }

    @Test("anything else is a failure, never anonymous", arguments: [
        "Bearer abc", "Basic", "Basic !!!", "Basic " + Data("no-colon".utf8).base64EncodedString(),
        "Basic " + Data(":password".utf8).base64EncodedString(), "Digest username=\"a\"",
    ])
    func refuses(_ authorization: String) {
        #expect(throws: AuthenticationFailure.self) { try BasicCredentials(authorization: authorization) }
    }
}

import Credentials
import Testing

@Suite("htpasswd files")
struct HtpasswdFileTests {
    let bcrypt = "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
    let sha256 = "$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/"

    @Test("users, comments, blank lines and CRLF endings")
    func parses() throws {
        let file = try HtpasswdFile.parse("# team CI\r\nci:\(bcrypt)\r\n\n   \nalice:\(sha256)\n")
        #expect(file.entries.keys.sorted() == ["alice", "ci"])
        #expect(file.entries["alice"]?.matches("correct horse") == true)
        #expect(file.entries["ci"]?.matches("U*U") == true)
    }

    @Test("the first refused line stops the load and is named by number")
    func refusedLine() {
        let text = "ci:\(bcrypt)\n# comment\nold:$apr1$saltsalt$Q17bmANhIA7pctgRGqF/S0\nplain:hunter2\n"
        #expect(throws: HtpasswdError.self) { try HtpasswdFile.parse(text) }
        do {
            _ = try HtpasswdFile.parse(text)
        } catch {
            #expect(error.line == 3)
            #expect(error.message.contains("old"))
            #expect(error.message.contains("Apache MD5"))
        }
    }

    @Test("structural errors", arguments: [
        ("no-colon-here\n", 1, "user:hash"),
        ("ci:\("$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")\n:\("$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")\n", 2, "empty"),
        ("a:\("$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/")\na:\("$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/")\n", 2, "twice"),
    ])
    func structural(text: String, line: Int, fragment: String) {
        do {
            _ = try HtpasswdFile.parse(text)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }
}

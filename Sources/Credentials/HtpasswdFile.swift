/// An htpasswd file: `user:hash` lines, `#` comments and blank lines. Every line is checked, and
/// the first refused one stops the load with its line number, so a weak hash is never half-used.
public struct HtpasswdFile: Sendable, Equatable {
    public let entries: [String: PasswordHash]

    public init(entries: [String: PasswordHash]) {
        self.entries = entries
    }

    public static func parse(_ text: String) throws(HtpasswdError) -> HtpasswdFile {
        var entries: [String: PasswordHash] = [:]
        // "\r\n" is one Character in Swift, so both line endings split here.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, line) in lines.enumerated() {
            let lineNumber = index + 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw HtpasswdError(line: lineNumber, "expected user:hash")
            }
            let user = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard !user.isEmpty, user.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
                throw HtpasswdError(line: lineNumber, "the user name is empty or contains whitespace")
            }
            guard entries[user] == nil else {
                throw HtpasswdError(line: lineNumber, "user \"\(user)\" appears twice")
            }
            do {
                entries[user] = try PasswordHash(hash)
            } catch {
                throw HtpasswdError(line: lineNumber, "user \"\(user)\": \(error.message)")
            }
        }
        return HtpasswdFile(entries: entries)
    }
}

public struct HtpasswdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number in the file.
    public let line: Int
    public let message: String

    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

import ArgumentParser
import Credentials
import Foundation

/// `chartwarden passwd USER`: prints an htpasswd line with a bcrypt hash, for `auth.htpasswd`.
/// The password comes from the terminal (asked twice, not echoed) or from the first line of
/// standard input, never from the command line where `ps` would show it.
struct PasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Print an htpasswd line (bcrypt) for USER; the password is read from the terminal or stdin."
    )

    @Argument(help: "The user name (becomes the user:NAME principal).")
    var user: String

    @Option(help: "bcrypt cost (log2 rounds), 10 to 15.")
    var cost: Int = 12

    func validate() throws {
        guard !user.isEmpty, !user.contains(":"), user.allSatisfy({ !$0.isWhitespace }) else {
            throw ValidationError("the user name must be non-empty, without ':' or whitespace")
        }
        guard (10...15).contains(cost) else { throw ValidationError("--cost must be between 10 and 15") }
    }

    func run() throws {
        let password: String
        if isatty(STDIN_FILENO) == 1 {
            let first = try TerminalPrompt.secret("Password: ")
            guard try TerminalPrompt.secret("Again: ") == first else {
                throw ValidationError("the passwords differ")
            }
            password = first
        } else {
            var line = readLine(strippingNewline: true) ?? ""
            if line.hasSuffix("\r") { line.removeLast() }
            password = line
        }
        guard !password.isEmpty else { throw ValidationError("the password is empty") }
        let hash = try PasswordHash.bcrypt(password: password, cost: cost)
        print("\(user):\(hash.text)")
    }
}

/// Reads a line from the terminal with echo off.
enum TerminalPrompt {
    static func secret(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw ValidationError("cannot read the terminal") }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }
}

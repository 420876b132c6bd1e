import Foundation

/// The console's CSRF tokens: an HMAC of the principal under a secret drawn at start, so a token
/// is bound to who is logged in (another admin's token, or one from before a restart, does not
/// pass) and needs no server-side session. Compared in constant time.
struct ConsoleCSRF: Sendable {
    /// The form field every state-changing console form carries.
    static let field = "csrf"

    /// One secret per process (SystemRandomNumberGenerator: getrandom on Linux): a restart
    /// invalidates every open form, which only means reloading it.
    static let process = ConsoleCSRF(secret: (0..<32).map { _ in UInt8.random(in: .min ... .max) })

    private let secret: [UInt8]

    init(secret: [UInt8]) {
        self.secret = secret
    }

    /// The token for `principal` (the actor name of the request's principals), as hex.
    func token(for principal: String) -> String {
        let mac = HMACSHA256.authenticate(Array("chartwarden-console-csrf\u{0}\(principal)".utf8), key: secret)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `candidate` is `principal`'s token. Every byte is compared whatever differs first.
    func isValid(_ candidate: String?, for principal: String) -> Bool {
        guard let candidate else { return false }
        let expected = Array(token(for: principal).utf8)
        let given = Array(candidate.utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }
}

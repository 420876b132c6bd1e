import Foundation

/// The console's CSRF tokens and confirmation nonces, stateless HMACs under a secret drawn at start.
///
/// A token is `ISSUED.MAC`, the MAC over the principal, the form's action path and the time it was
/// issued: it passes only for who loaded the form, only for that form's action and target (a token
/// taken from the import form does not distrust a key), and only for `lifetime`. A confirmation
/// nonce is the same construction over what a preview showed (the action, its parameters and the
/// exact charts it listed), so the confirmation applies only what was reviewed. Compared in
/// constant time.
struct ConsoleCSRF: Sendable {
    /// The form field every state-changing console form carries.
    static let field = "csrf"
    /// The field a confirmation carries back from its preview.
    static let previewField = "preview"
    /// How long a loaded form stays usable: a leaked token is short-lived and single-purpose.
    static let lifetime: TimeInterval = 4 * 3600

    /// One secret per process (SystemRandomNumberGenerator: getrandom on Linux): a restart
    /// invalidates every open form, which only means reloading it.
    static let process = ConsoleCSRF(secret: (0..<32).map { _ in UInt8.random(in: .min ... .max) })

    private let secret: [UInt8]

    init(secret: [UInt8]) {
        self.secret = secret
    }

    /// The token for `principal`'s form posting to `action` (its path), issued at `now`.
    func token(for principal: String, action: String, now: Date = Date()) -> String {
        sign(["csrf", principal, action], issued: Int64(now.timeIntervalSince1970))
    }

    func isValid(_ candidate: String?, for principal: String, action: String, now: Date = Date()) -> Bool {
        verify(candidate, ["csrf", principal, action], now: now)
    }

    /// The nonce a preview issues for confirming `action` with exactly `subject` (its parameters and charts).
    func previewNonce(for principal: String, action: String, subject: [String], now: Date = Date()) -> String {
        sign(["preview", principal, action] + subject, issued: Int64(now.timeIntervalSince1970))
    }

    func isValidPreview(_ candidate: String?, for principal: String, action: String, subject: [String],
                        now: Date = Date()) -> Bool {
        verify(candidate, ["preview", principal, action] + subject, now: now)
    }

    private func mac(_ parts: [String], issued: Int64) -> String {
        // Each part is length-prefixed, so no two lists of parts share a message.
        let message = (["chartwarden-console", String(issued)] + parts).map { "\($0.utf8.count):\($0)" }.joined()
        return HMACSHA256.authenticate(Array(message.utf8), key: secret).map { String(format: "%02x", $0) }.joined()
    }

    private func sign(_ parts: [String], issued: Int64) -> String { "\(issued).\(mac(parts, issued: issued))" }

    private func verify(_ candidate: String?, _ parts: [String], now: Date) -> Bool {
        guard let candidate, let dot = candidate.firstIndex(of: "."),
              let issued = Int64(candidate[..<dot]), candidate[..<dot].allSatisfy(\.isASCII) else { return false }
        let age = now.timeIntervalSince1970 - TimeInterval(issued)
        guard age >= -60, age <= Self.lifetime else { return false }
        let expected = Array(sign(parts, issued: issued).utf8)
        let given = Array(candidate.utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }
}

import ChartWardenCore
import Foundation

/// The unauthenticated half of an OIDC bearer token: `JWTSegments` decodes the header and claims
/// of any `Authorization: Bearer` text before a signature is checked, and `OIDCVerdict.judge`
/// reads those claims. Invariants: a decoded token is within the size bound, has three segments
/// and an algorithm; judging its claims (against a fixed provider) never traps.
enum JWTSegmentsFuzz {
    static let provider = OIDCProvider(
        issuer: "https://issuer.example", audience: "chartwarden", keys: .file("/dev/null"),
        principal: try! PrincipalTemplate.parse("ci:{repository_owner}/{workflow}").get(),
        require: ["repository_owner_id": "42"])

    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        _ = JWTSegments.looksLikeJWT(text)
        guard let segments = JWTSegments(text) else { return }
        precondition(text.utf8.count <= JWTSegments.maxBytes)
        precondition(text.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2)
        _ = segments.algorithm
        _ = segments.keyID
        _ = OIDCVerdict.judge(segments.claims, provider: provider, now: Date(timeIntervalSince1970: 1_800_000_000))
    }
}

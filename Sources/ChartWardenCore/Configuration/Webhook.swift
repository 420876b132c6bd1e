import Foundation
import OpenSSLSupport

/// One configured receiver of CloudEvents (README, "Webhooks"): which events it gets, for which
/// repositories, signed with which secret, and how long a failing delivery is retried.
public struct Webhook: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The CloudEvents `type`s ChartWarden sends.
    public enum EventType: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
        case chartPublished = "chart.published"
        case chartDeleted = "chart.deleted"
        case chartOverwritten = "chart.overwritten"
        case chartQuarantined = "chart.quarantined"
        case chartRestored = "chart.restored"
        case uploadRejected = "upload.rejected"
        case signerTrusted = "signer.trusted"
        case signerDistrusted = "signer.distrusted"
        case signerRevoked = "signer.revoked"
    }

    public var url: String
    public var events: Set<EventType>
    /// The HMAC-SHA256 key of the signature header; never logged or shown.
    public var secret: [UInt8]
    /// Repositories whose events are sent; nil for all. Events of no repository (a revoked
    /// signer) go to every webhook that subscribes to their type.
    public var repositories: Set<String>?
    /// PEM file of the CAs that verify the receiver's certificate; the system's CAs when nil.
    public var caFile: String?
    /// How long after an event's first attempt it is still retried.
    public var maxRetrySeconds: Int
    /// Longest wait between two attempts (the backoff doubles up to it).
    public var maxIntervalSeconds: Int
    /// Connect plus response time of one attempt.
    public var timeoutSeconds: Int

    public static let defaultMaxRetrySeconds = 86_400
    public static let defaultTimeoutSeconds = 10
    public static let defaultMaxIntervalSeconds = 300
    /// Shortest secret accepted: a guessable HMAC key would let anyone forge events.
    public static let minimumSecretBytes = 16

    public init(url: String, events: Set<EventType>, secret: [UInt8], repositories: Set<String>? = nil,
                caFile: String? = nil, maxRetrySeconds: Int = defaultMaxRetrySeconds,
                maxIntervalSeconds: Int = defaultMaxIntervalSeconds, timeoutSeconds: Int = defaultTimeoutSeconds) {
        self.url = url
        self.events = events
        self.secret = secret
        self.repositories = repositories
        self.caFile = caFile
        self.maxRetrySeconds = maxRetrySeconds
        self.maxIntervalSeconds = maxIntervalSeconds
        self.timeoutSeconds = timeoutSeconds
    }

    /// Stable name of the receiver in the delivery tables: the SHA-256 of its URL without user
    /// information, query or fragment (`displayURL`), so reordering the list, or rotating a
    /// password or token in the URL, keeps each receiver's cursor and owed deliveries (review F6).
    public var key: String { String(SHA256Hasher.hash(Array(displayURL.utf8)).hex.prefix(32)) }

    /// Whether a URL host is the loopback interface itself: `localhost`, `::1`, or a literal IPv4
    /// address in 127.0.0.0/8. Names are not addresses: `127.0.0.1.nip.io` resolves wherever
    /// its owner wants (review F2).
    package static func isLoopbackHost(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" || bare == "::1" || bare.lowercased() == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.compactMap { octet -> Int? in
            guard (1...3).contains(octet.count), octet.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(octet).flatMap { (0...255).contains($0) ? $0 : nil }
        }
        return values.count == 4 && values[0] == 127
    }

    /// The URL without user information, query or fragment, which may carry credentials: what
    /// logs and the deliveries API show.
    public var displayURL: String { Self.displayURL(url) }

    /// Both forms name the receiver only: a configuration printed whole never shows a secret.
    public var description: String { "webhook \(displayURL)" }
    public var debugDescription: String { description }

    package static func displayURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(unparsable URL)"
    }

    /// Whether an event of `type` in `repository` (nil: of no repository) goes to this receiver.
    public func wants(_ type: EventType, repository: String?) -> Bool {
        guard events.contains(type) else { return false }
        guard let repository, let repositories else { return true }
        return repositories.contains(repository)
    }
}

import Foundation
import Yams

extension ChartWardenConfiguration {
    /// `webhooks`: receivers of CloudEvents (README, "Webhooks"). Errors name the key and never
    /// quote a secret.
    static func parseWebhooks(_ top: YAMLMappingReader, repositories: [Repository]) throws(ConfigurationError) -> [Webhook] {
        guard let nodes = try top.sequence("webhooks") else { return [] }
        let known = Set(repositories.map(\.name))
        var webhooks: [Webhook] = []
        for (index, node) in nodes.enumerated() {
            let reader = try YAMLMappingReader(node, path: "webhooks[\(index)]", allowedKeys: [
                "url", "events", "secret", "secretFile", "repositories", "caFile", "maxRetrySeconds", "maxIntervalSeconds",
                "timeoutSeconds",
            ])
            guard let url = try reader.string("url") else { throw ConfigurationError(key: reader.key("url"), "is required") }
            try checkURL(url, key: reader.key("url"))
            // One receiver per address: credentials and query are not part of who it is (review F6).
            if webhooks.contains(where: { $0.displayURL == Webhook.displayURL(url) }) {
                throw ConfigurationError(key: reader.key("url"), "is configured twice (user information and query aside); "
                    + "list every event type in one entry")
            }
            guard let eventNames = try reader.stringList("events"), !eventNames.isEmpty else {
                throw ConfigurationError(key: reader.key("events"), "is required: a list of event types such as chart.published")
            }
            var events: Set<Webhook.EventType> = []
            for (position, name) in eventNames.enumerated() {
                guard let type = Webhook.EventType(rawValue: name) else {
                    throw ConfigurationError(key: reader.key("events") + "[\(position)]", "unknown event type \"\(name)\" (allowed: "
                        + Webhook.EventType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                }
                events.insert(type)
            }
            let secret = try parseSecret(reader)
            var repositoryFilter: Set<String>?
            if let names = try reader.stringList("repositories") {
                for (position, name) in names.enumerated() where !known.contains(name) {
                    throw ConfigurationError(key: reader.key("repositories") + "[\(position)]",
                                             "\"\(name)\" is not a configured repository")
                }
                repositoryFilter = Set(names)
            }
            let caFile = try reader.string("caFile")
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                throw ConfigurationError(key: reader.key("caFile"), "cannot read \(caFile)")
            }
            webhooks.append(Webhook(
                url: url, events: events, secret: secret, repositories: repositoryFilter, caFile: caFile,
                maxRetrySeconds: try reader.int("maxRetrySeconds", range: 1...(7 * 86_400)) ?? Webhook.defaultMaxRetrySeconds,
                maxIntervalSeconds: try reader.int("maxIntervalSeconds", range: 1...3_600) ?? Webhook.defaultMaxIntervalSeconds,
                timeoutSeconds: try reader.int("timeoutSeconds", range: 1...120) ?? Webhook.defaultTimeoutSeconds))
        }
        return webhooks
    }

    /// https, or http to a loopback address only: events and their signatures must not cross a
    /// network in clear text (the signature proves origin, not secrecy).
    private static func checkURL(_ url: String, key: String) throws(ConfigurationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw ConfigurationError(key: key, "must be an absolute https:// URL")
        }
        switch scheme {
        case "https": return
        case "http":
            guard Webhook.isLoopbackHost(host) else {
                throw ConfigurationError(key: key, "must be https:// (http:// only to a loopback address)")
            }
        default:
            throw ConfigurationError(key: key, "must be an https:// URL")
        }
    }

    /// Exactly one of `secret` (its UTF-8) and `secretFile`: the file's exact bytes, less one
    /// final line break (`\n` or `\r\n`), never decoded as text — `head -c 32 /dev/urandom`
    /// makes a key receivers read the same way (review F7).
    private static func parseSecret(_ reader: YAMLMappingReader) throws(ConfigurationError) -> [UInt8] {
        var bytes: [UInt8]
        switch (try reader.string("secret"), try reader.string("secretFile")) {
        case (let secret?, nil):
            bytes = Array(secret.utf8)
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(key: reader.key("secretFile"), "cannot read \(path)")
            }
            bytes = Array(data)
            if bytes.last == 0x0A {
                bytes.removeLast()
                if bytes.last == 0x0D { bytes.removeLast() }
            }
        default:
            throw ConfigurationError(key: reader.key("secret"), "needs exactly one of secret and secretFile")
        }
        guard bytes.count >= Webhook.minimumSecretBytes else {
            throw ConfigurationError(key: reader.key("secret"),
                                     "must be at least \(Webhook.minimumSecretBytes) bytes (the value is not shown)")
        }
        return bytes
    }
}

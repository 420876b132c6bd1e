import ContentPolicy
import Foundation
import OpenSSLSupport
import Yams

extension ChartWardenConfiguration {
    /// A repository's `contentPolicy` mapping; `ContentPolicy.default` when absent. Every
    /// exemption must name what earns it (signers, digests or uploaders).
    static func parseContentPolicy(_ repository: YAMLMappingReader) throws(ConfigurationError) -> ContentPolicy {
        guard let policy = try repository.mapping("contentPolicy", allowedKeys: [
            "mode", "denyKinds", "warnKinds", "dynamicKinds", "allow",
        ]) else {
            return .default
        }
        func kinds(_ list: [String], key: String, wildcard: Bool) throws(ConfigurationError) -> [String] {
            for (index, kind) in list.enumerated() {
                let isName = kind.first?.isLetter == true && kind.unicodeScalars.allSatisfy { $0.isASCII && CharacterSet.alphanumerics.contains($0) }
                guard isName || (wildcard && kind == "*") else {
                    throw ConfigurationError(key: "\(key)[\(index)]", "\"\(kind)\" is not a Kubernetes kind\(wildcard ? " or *" : "")")
                }
            }
            return list
        }
        let modeText = try policy.string("mode") ?? ContentPolicy.Mode.enforce.rawValue
        guard let mode = ContentPolicy.Mode(rawValue: modeText) else {
            throw ConfigurationError(key: policy.key("mode"), "must be enforce, warn or off")
        }
        let dynamicText = try policy.string("dynamicKinds") ?? ContentPolicy.DynamicKinds.deny.rawValue
        guard let dynamicKinds = ContentPolicy.DynamicKinds(rawValue: dynamicText) else {
            throw ConfigurationError(key: policy.key("dynamicKinds"), "must be deny, warn or allow")
        }
        var allow: [ContentPolicy.Allowance] = []
        for (index, node) in (try policy.sequence("allow") ?? []).enumerated() {
            let entryKey = policy.key("allow") + "[\(index)]"
            let entry = try YAMLMappingReader(node, path: entryKey, allowedKeys: ["chart", "kinds", "signers", "digests", "uploaders"])
            guard let chart = try entry.string("chart"), !chart.isEmpty else {
                throw ConfigurationError(key: entry.key("chart"), "is required (a chart name or glob)")
            }
            guard let list = try entry.stringList("kinds"), !list.isEmpty else {
                throw ConfigurationError(key: entry.key("kinds"), "is required: the kinds this chart may create (or *)")
            }
            // A chart's name is the writer's choice: the entry must name what earns it.
            let signers = try entry.stringList("signers") ?? []
            for (position, signer) in signers.enumerated() {
                let hex = signer.filter { !$0.isWhitespace }
                guard hex.count == 40, hex.allSatisfy(\.isHexDigit) else {
                    throw ConfigurationError(key: entry.key("signers") + "[\(position)]",
                                             "\"\(signer)\" is not a full 40-hex-digit key fingerprint")
                }
            }
            let digests = try entry.stringList("digests") ?? []
            for (position, digest) in digests.enumerated() {
                guard digest.hasPrefix("sha256:"), SHA256Digest(hex: String(digest.dropFirst(7))) != nil else {
                    throw ConfigurationError(key: entry.key("digests") + "[\(position)]",
                                             "\"\(digest)\" is not a chart digest (sha256:64 hex digits)")
                }
            }
            let uploaders = try entry.stringList("uploaders") ?? []
            for (position, uploader) in uploaders.enumerated() {
                guard let principal = Principal(uploader), principal != .anonymous else {
                    throw ConfigurationError(key: entry.key("uploaders") + "[\(position)]",
                                             "\"\(uploader)\" is not a principal (user:NAME, cert:CN, group:NAME)")
                }
            }
            let allowance = ContentPolicy.Allowance(chart: chart, kinds: try kinds(list, key: entry.key("kinds"), wildcard: true),
                                                    signers: signers, digests: digests, uploaders: uploaders)
            guard allowance.isBound else {
                throw ConfigurationError(key: entryKey, "must name what earns the exemption: signers (provenance "
                    + "key fingerprints), digests (sha256:…) or uploaders (principals); a chart name alone is the writer's choice")
            }
            allow.append(allowance)
        }
        return ContentPolicy(
            mode: mode,
            denyKinds: try kinds(try policy.stringList("denyKinds") ?? ContentPolicy.defaultDenyKinds,
                                 key: policy.key("denyKinds"), wildcard: false),
            warnKinds: try kinds(try policy.stringList("warnKinds") ?? [], key: policy.key("warnKinds"), wildcard: false),
            dynamicKinds: dynamicKinds, allow: allow)
    }
}

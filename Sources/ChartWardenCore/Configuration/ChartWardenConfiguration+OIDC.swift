import Foundation
import Yams

extension ChartWardenConfiguration {
    /// `auth.oidc`: a list of trusted issuers (README, "OIDC workload identity").
    static func parseOIDC(_ auth: YAMLMappingReader) throws(ConfigurationError) -> [OIDCProvider] {
        guard let nodes = try auth.sequence("oidc") else { return [] }
        var providers: [OIDCProvider] = []
        for (index, node) in nodes.enumerated() {
            let reader = try YAMLMappingReader(node, path: auth.key("oidc") + "[\(index)]",
                                               allowedKeys: ["issuer", "audience", "jwks", "principal", "require",
                                                             "maxTokenLifetimeSeconds"])
            guard let issuer = try reader.string("issuer"), issuer.hasPrefix("https://") else {
                throw ConfigurationError(key: reader.key("issuer"), "is required and must be an https:// URL")
            }
            guard let audience = try reader.string("audience"), !audience.isEmpty else {
                throw ConfigurationError(key: reader.key("audience"), "is required")
            }
            guard let jwks = try reader.mapping("jwks", allowedKeys: ["url", "file", "caFile"]) else {
                throw ConfigurationError(key: reader.key("jwks"), "is required: {url: https://…} or {file: PATH}")
            }
            let keys: OIDCProvider.KeySource
            switch (try jwks.string("url"), try jwks.string("file")) {
            case (let url?, nil):
                guard url.hasPrefix("https://") else { throw ConfigurationError(key: jwks.key("url"), "must be an https:// URL") }
                let caFile = try jwks.string("caFile")
                if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                    throw ConfigurationError(key: jwks.key("caFile"), "cannot read \(caFile)")
                }
                keys = .url(url, caFile: caFile)
            case (nil, let file?):
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw ConfigurationError(key: jwks.key("file"), "cannot read \(file)")
                }
                guard try jwks.string("caFile") == nil else {
                    throw ConfigurationError(key: jwks.key("caFile"), "applies only to jwks.url")
                }
                keys = .file(file)
            default:
                throw ConfigurationError(key: reader.key("jwks"), "needs exactly one of url and file")
            }
            guard let templateText = try reader.string("principal") else {
                throw ConfigurationError(key: reader.key("principal"), "is required, such as \"ci:{repository}\"")
            }
            let template: PrincipalTemplate
            switch PrincipalTemplate.parse(templateText) {
            case .success(let parsed): template = parsed
            case .failure(let error): throw ConfigurationError(key: reader.key("principal"), error.message)
            }
            // A kind names one issuer's namespace: `ci:octo-org/app` from two issuers would be one
            // principal, and whoever owns `octo-org/app` on the second platform would act as the first's.
            if let other = providers.first(where: { $0.principal.kind == template.kind && $0.issuer != issuer }) {
                throw ConfigurationError(key: reader.key("principal"),
                    "the kind \"\(template.kind)\" is already used by issuer \(other.issuer); each issuer needs a kind of its own")
            }
            let maxLifetime = try reader.int("maxTokenLifetimeSeconds", range: 60...86_400)
                ?? Int(OIDCProvider.defaultMaxTokenLifetime)
            var require: [String: String] = [:]
            if let node = reader.node("require") {
                guard let mapping = node.mapping else {
                    throw ConfigurationError(key: reader.key("require"), "expected a mapping of claim to value")
                }
                for (key, value) in mapping {
                    guard let name = key.scalar?.string, let text = value.scalar?.string else {
                        throw ConfigurationError(key: reader.key("require"), "expected claim: value strings")
                    }
                    require[name] = text
                }
            }
            providers.append(OIDCProvider(issuer: issuer, audience: audience, keys: keys, principal: template,
                                          require: require, maxTokenLifetime: TimeInterval(maxLifetime)))
        }
        return providers
    }
}

/// Who a request acts as. Written in configuration as `anonymous`, `user:NAME`, `cert:CN`,
/// `token:NAME` (an API token, README "API tokens") or `group:NAME`.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    case anonymous
    case user(String)
    case certificate(String)
    case token(String)
    case group(String)
    /// An OIDC workload identity, `KIND:NAME`, rendered by an `auth.oidc` principal template
    /// whose kind is KIND (README, "OIDC workload identity").
    case workload(kind: String, name: String)
    /// Not a who: the scope of the API token a request presents. It travels in the request's
    /// principal set so that every check (`AccessPolicy.granted`, `isAdmin`) narrows by it, on
    /// every route that asks, without a second code path. Never parsed from configuration.
    case restricted(AccessScope)

    /// `workloadKinds`: the kinds `auth.oidc` templates declare, which configuration may name.
    public init?(_ text: String, workloadKinds: Set<String> = []) {
        if text == "anonymous" {
            self = .anonymous
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = String(text[text.index(after: colon)...])
        guard !name.isEmpty else { return nil }
        switch text[..<colon] {
        case "user": self = .user(name)
        case "cert": self = .certificate(name)
        case "token": self = .token(name)
        case "group": self = .group(name)
        case let kind where workloadKinds.contains(String(kind)): self = .workload(kind: String(kind), name: name)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .user(let name): "user:\(name)"
        case .certificate(let name): "cert:\(name)"
        case .token(let name): "token:\(name)"
        case .group(let name): "group:\(name)"
        case .workload(let kind, let name): "\(kind):\(name)"
        case .restricted(let scope): "(scope \(scope))"
        }
    }
}

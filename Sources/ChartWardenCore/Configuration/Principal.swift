/// Who a request acts as. Written in configuration as `anonymous`, `user:NAME`, `cert:CN` or
/// `group:NAME`.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    case anonymous
    case user(String)
    case certificate(String)
    case group(String)

    public init?(_ text: String) {
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
        case "group": self = .group(name)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .user(let name): "user:\(name)"
        case .certificate(let name): "cert:\(name)"
        case .group(let name): "group:\(name)"
        }
    }
}

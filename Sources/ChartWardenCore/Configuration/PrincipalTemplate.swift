/// `KIND:TEXT{claim}TEXT…`: the principal an OIDC token acts as, rendered from its claims. KIND
/// is a workload kind of its own (`ci`, not `user` or `cert`), so a token can never render into
/// another kind of principal; claim values are limited to a strict alphabet, so a claim cannot
/// smuggle in a `:`, a space or a path trick.
public struct PrincipalTemplate: Sendable, Equatable, CustomStringConvertible {
    enum Part: Sendable, Equatable {
        case literal(String)
        case claim(String)
    }

    public let kind: String
    let parts: [Part]
    public let description: String

    /// Kinds a workload template may not use: they belong to other principals.
    static let reservedKinds: Set<String> = ["anonymous", "user", "cert", "token", "group"]
    /// Most bytes a rendered claim value may have.
    static let maxValueBytes = 200

    /// Nil with a reason for anything but `KIND:` followed by literals and `{claim}`s.
    public static func parse(_ text: String) -> Result<PrincipalTemplate, TemplateError> {
        guard let colon = text.firstIndex(of: ":") else { return .failure(TemplateError("must start with KIND:")) }
        let kind = String(text[..<colon])
        guard let first = kind.utf8.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"),
              kind.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }), kind.count <= 32
        else { return .failure(TemplateError("the kind \"\(kind)\" must match [a-z][a-z0-9-]*")) }
        guard !reservedKinds.contains(kind) else {
            return .failure(TemplateError("the kind \"\(kind)\" belongs to other principals; choose another (such as ci)"))
        }
        var parts: [Part] = []
        var rest = text[text.index(after: colon)...]
        while !rest.isEmpty {
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else { return .failure(TemplateError("unclosed {")) }
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    return .failure(TemplateError("\"{\(name)}\" is not a claim name"))
                }
                if case .claim(let previous)? = parts.last {
                    return .failure(TemplateError("{\(previous)}{\(name)} is ambiguous: put a literal such as @ between two claims"))
                }
                parts.append(.claim(name))
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) ?? rest.endIndex
                guard end != rest.startIndex else { return .failure(TemplateError("unmatched }")) }
                let literal = String(rest[..<end])
                guard literal.utf8.allSatisfy(Self.isValueByte) else {
                    return .failure(TemplateError("\"\(literal)\" may hold only A-Z a-z 0-9 . _ - / @"))
                }
                parts.append(.literal(literal))
                rest = rest[end...]
            }
        }
        guard parts.contains(where: { if case .claim = $0 { true } else { false } }) else {
            return .failure(TemplateError("names no claim, so every token would be the same principal"))
        }
        return .success(PrincipalTemplate(kind: kind, parts: parts, description: text))
    }

    /// The principal for `claims`; nil when a named claim is missing, not a string, empty, too
    /// long, outside the alphabet, or holds the first character of the literal that follows it.
    package func render(_ claims: [String: JWTClaimValue]) -> Principal? {
        var name = ""
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let text): name += text
            case .claim(let claim):
                guard case .string(let value)? = claims[claim], !value.isEmpty, value.utf8.count <= Self.maxValueBytes,
                      value.utf8.allSatisfy(Self.isValueByte) else { return nil }
                // A value ends where the literal after it starts, so one rendering has one reading:
                // with `{a}-{b}`, a=x-y,b=z and a=x,b=y-z would otherwise both be `x-y-z`.
                if index + 1 < parts.count, case .literal(let next) = parts[index + 1], let stop = next.utf8.first,
                   value.utf8.contains(stop) { return nil }
                name += value
            }
        }
        return .workload(kind: kind, name: name)
    }

    static func isValueByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "@")].contains(byte)
    }

    public struct TemplateError: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }
}

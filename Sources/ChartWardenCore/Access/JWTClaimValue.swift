/// One claim of a JWT, as the OIDC checks read it: strings are compared and rendered, numbers
/// are times, everything else is only "present".
package enum JWTClaimValue: Sendable, Equatable, Decodable {
    case string(String)
    case number(Double)
    case strings([String])
    case other

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let list = try? container.decode([String].self) {
            self = .strings(list)
        } else {
            self = .other
        }
    }
}

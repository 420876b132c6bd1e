/// A strict SemVer 2.0.0 version, ordered by the specification's precedence rules.
///
/// Helm itself accepts looser strings (`v1.2`, `1.2`); a repository that promises reproducible
/// ordering refuses them, so every stored version sorts the same way in Helm and here.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Identifier: Sendable, Hashable {
        case numeric(UInt64)
        case alphanumeric(String)
    }

    public let major: UInt64
    public let minor: UInt64
    public let patch: UInt64
    public let preRelease: [Identifier]
    public let buildMetadata: [String]
    /// The text as given, which is what Helm shows and what file names use.
    public let description: String

    public var isPreRelease: Bool { !preRelease.isEmpty }

    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 256 else { return nil }
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            let parts = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isIdentifierCharacter) }) else { return nil }
            build = parts.map(String.init)
            rest = rest[..<plus]
        }
        var pre: [Identifier] = []
        if let dash = rest.firstIndex(of: "-") {
            let parts = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            for part in parts {
                guard !part.isEmpty, part.allSatisfy(Self.isIdentifierCharacter) else { return nil }
                if part.allSatisfy(\.isASCIIDigit) {
                    guard part == "0" || part.first != "0", let value = UInt64(part) else { return nil }
                    pre.append(.numeric(value))
                } else {
                    pre.append(.alphanumeric(String(part)))
                }
            }
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { return nil }
        var numbers: [UInt64] = []
        for part in core {
            guard !part.isEmpty, part.allSatisfy(\.isASCIIDigit), part == "0" || part.first != "0",
                  let value = UInt64(part) else { return nil }
            numbers.append(value)
        }
        major = numbers[0]
        minor = numbers[1]
        patch = numbers[2]
        preRelease = pre
        buildMetadata = build
        description = text
    }

    /// Precedence per SemVer 2 §11; build metadata does not take part.
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.preRelease.isEmpty, rhs.preRelease.isEmpty) {
        case (true, true): return false
        case (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.preRelease, rhs.preRelease) where left != right {
            switch (left, right) {
            case let (.numeric(a), .numeric(b)): return a < b
            case (.numeric, .alphanumeric): return true
            case (.alphanumeric, .numeric): return false
            case let (.alphanumeric(a), .alphanumeric(b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
            }
        }
        return lhs.preRelease.count < rhs.preRelease.count
    }

    /// Equal precedence, ignoring build metadata (`==` compares the full text).
    public func hasSamePrecedence(as other: SemanticVersion) -> Bool {
        !(self < other) && !(other < self)
    }

    /// A total order for listings: precedence first, then the text, so ties from build metadata
    /// still sort the same way on every render.
    public static func newestFirst(_ lhs: SemanticVersion, _ rhs: SemanticVersion) -> Bool {
        if lhs < rhs { return false }
        if rhs < lhs { return true }
        return lhs.description > rhs.description
    }

    private static func isIdentifierCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

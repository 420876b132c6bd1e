/// A stored password hash of a scheme ChartWarden accepts: bcrypt (`$2a$`, `$2b$`, `$2y$`) or
/// SHA-crypt (`$5$`, `$6$`). Weak or unsalted schemes cannot be constructed, so a credential
/// store holding `PasswordHash` values holds only strong ones.
public struct PasswordHash: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case bcrypt
        case sha256Crypt = "sha256-crypt"
        case sha512Crypt = "sha512-crypt"
    }

    public let scheme: Scheme
    /// The whole modular-crypt string, e.g. `$2b$12$...`.
    public let text: String

    /// Work factors above these are refused when a file is loaded: one such line would make every
    /// login, and the decoy hashed at startup or reload, take seconds to minutes.
    public static let maxBcryptCost = 14
    public static let maxSHACryptRounds = 1_000_000

    /// Classifies `text`; throws a message saying why a refused kind is refused.
    public init(_ text: String) throws(PasswordHashError) {
        let base64Crypt = Set("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        if text.hasPrefix("$2a$") || text.hasPrefix("$2b$") || text.hasPrefix("$2y$") {
            // $2b$CC$ + 22 salt + 31 hash characters.
            let parts = text.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[2].count == 2, let cost = Int(parts[2]), (4...31).contains(cost),
                  parts[3].count == 53, parts[3].allSatisfy(base64Crypt.contains) else {
                throw PasswordHashError("malformed bcrypt hash")
            }
            guard cost <= Self.maxBcryptCost else {
                throw PasswordHashError("bcrypt cost \(cost) is above \(Self.maxBcryptCost): each login would stall a thread")
            }
            scheme = .bcrypt
        } else if text.hasPrefix("$5$") || text.hasPrefix("$6$") {
            var parts = text.split(separator: "$", omittingEmptySubsequences: false).dropFirst(2)
            if parts.first?.hasPrefix("rounds=") == true {
                guard let rounds = Int(parts.first!.dropFirst("rounds=".count)), rounds >= 1_000 else {
                    throw PasswordHashError("malformed SHA-crypt rounds")
                }
                guard rounds <= Self.maxSHACryptRounds else {
                    throw PasswordHashError("SHA-crypt rounds \(rounds) are above \(Self.maxSHACryptRounds): each login would stall a thread")
                }
                parts = parts.dropFirst()
            }
            let digestLength = text.hasPrefix("$5$") ? 43 : 86
            guard parts.count == 2, (1...16).contains(parts.first!.count), parts.last!.count == digestLength,
                  parts.last!.allSatisfy(base64Crypt.contains) else {
                throw PasswordHashError("malformed SHA-crypt hash")
            }
            scheme = text.hasPrefix("$5$") ? .sha256Crypt : .sha512Crypt
        } else if text.hasPrefix("$apr1$") {
            throw PasswordHashError("Apache MD5 ($apr1$) hashes are refused: use bcrypt ($2y$) or SHA-crypt ($5$/$6$)")
        } else if text.hasPrefix("$1$") {
            throw PasswordHashError("MD5-crypt ($1$) hashes are refused: use bcrypt ($2y$) or SHA-crypt ($5$/$6$)")
        } else if text.hasPrefix("{SHA}") {
            throw PasswordHashError("unsalted SHA-1 ({SHA}) hashes are refused: use bcrypt ($2y$) or SHA-crypt ($5$/$6$)")
        } else if text.count == 13, text.allSatisfy(base64Crypt.contains) {
            throw PasswordHashError("crypt(3) DES hashes are refused: use bcrypt ($2y$) or SHA-crypt ($5$/$6$)")
        } else if text.hasPrefix("$") {
            throw PasswordHashError("unsupported hash scheme: only bcrypt ($2a$/$2b$/$2y$) and SHA-crypt ($5$/$6$) are accepted")
        } else {
            throw PasswordHashError("plaintext passwords are refused: store a bcrypt hash (chartwarden passwd USER)")
        }
        self.text = text
    }

    /// Runs the scheme's hash over `password` and compares in constant time. Deliberately slow
    /// (that is the point of these schemes): call it off the event loop.
    public func matches(_ password: String) -> Bool {
        guard let computed = CryptFunction.hash(password: password, setting: text) else { return false }
        return ConstantTime.equals(Array(computed.utf8), Array(text.utf8))
    }

    /// A new bcrypt hash with a random salt from the OS; `cost` is bcrypt's log2 work factor.
    public static func bcrypt(password: String, cost: Int = 12) throws(PasswordHashError) -> PasswordHash {
        guard let setting = CryptFunction.generateSetting(prefix: "$2b$", cost: cost),
              let text = CryptFunction.hash(password: password, setting: setting) else {
            throw PasswordHashError("libxcrypt could not produce a bcrypt hash")
        }
        return try PasswordHash(text)
    }

    /// What computing the hash costs: the scheme's prefix (`$2b$`, `$5$`, ...) and its work
    /// factor (bcrypt's log2 cost, SHA-crypt's rounds; 5000 when the hash names none).
    public struct Parameters: Sendable, Hashable {
        public let prefix: String
        public let cost: Int

        public init(prefix: String, cost: Int) {
            self.prefix = prefix
            self.cost = cost
        }
    }

    public var parameters: Parameters {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        let prefix = "$\(parts[1])$"
        if scheme == .bcrypt { return Parameters(prefix: prefix, cost: Int(parts[2]) ?? 0) }
        let rounds = parts[2].hasPrefix("rounds=") ? Int(parts[2].dropFirst("rounds=".count)) : nil
        return Parameters(prefix: prefix, cost: rounds ?? 5_000)
    }

    /// A new hash of `password` with `parameters` and a random salt from the OS.
    public static func make(password: String, parameters: Parameters) throws(PasswordHashError) -> PasswordHash {
        guard let setting = CryptFunction.generateSetting(prefix: parameters.prefix, cost: parameters.cost),
              let text = CryptFunction.hash(password: password, setting: setting) else {
            throw PasswordHashError("libxcrypt could not produce a \(parameters.prefix) hash of cost \(parameters.cost)")
        }
        return try PasswordHash(text)
    }

    /// Never prints the hash itself, only its scheme.
    public var description: String { "PasswordHash(\(scheme.rawValue))" }
}

public struct PasswordHashError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

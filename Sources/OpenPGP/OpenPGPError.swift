/// A failure of the OpenPGP layer, with GPGME's message when it has one.
public struct OpenPGPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// GPGME or the gpg engine could not be set up (missing binary, unusable home directory).
        case engine
        /// Input that is not OpenPGP data of the expected kind.
        case invalidInput
        /// An import that brought in no usable key.
        case importFailed
        /// A verification that could not run at all (as opposed to a signature that is bad).
        case verificationFailed
        /// A validated revocation dated in the future.
        case futureDated
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

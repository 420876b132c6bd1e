import Foundation

/// Test-only signing with the committed keys in keys-test/pgp, through the gpg command line
/// (the server never signs; it only verifies through GPGME).
public struct TestSigner {
    public static let top: String = {
        var components = #filePath.split(separator: "/").map(String.init)
        components.removeLast(3)
        return "/" + components.joined(separator: "/")
    }()
    public static let keys = top + "/keys-test/pgp"

    private let scratch: ScratchDirectory
    public var home: String { scratch.path }

    public init() throws {
        scratch = try ScratchDirectory(prefix: "cw-signer")
    }

    public static func fingerprint(_ name: String, signing: Bool = false) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: keys + "/keys.json"))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: [String: String]]
        return all[name]![signing ? "signingFingerprint" : "fingerprint"]!
    }

    public static func publicKey(_ name: String, binary: Bool = false) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: keys + "/\(name).pub.\(binary ? "gpg" : "asc")")))
    }

    public static func file(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: keys + "/" + name)))
    }

    /// Clear-signs `text` with the secret key of `name`; `time` is gpg's faked system time,
    /// `expiresIn` the signature's own lifetime (gpg's `--default-sig-expire`, e.g. `1d`).
    public func clearsign(_ text: String, with name: String, digest: String = "SHA512", time: String? = nil,
                          expiresIn: String? = nil) throws -> [UInt8] {
        _ = try gpg(["--import", Self.keys + "/\(name).secret.asc"], input: nil)
        var arguments = ["--clearsign", "--digest-algo", digest, "--local-user", try Self.fingerprint(name)]
        if let expiresIn { arguments += ["--default-sig-expire", expiresIn] }
        if let time { arguments = ["--faked-system-time", time, "--ignore-time-conflict"] + arguments }
        return try gpg(arguments, input: Array(text.utf8))
    }

    public func gpg(_ arguments: [String], input: [UInt8]?) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gpg")
        process.arguments = ["--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
                             "--allow-weak-digest-algos"] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input)) }
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "gpg", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: String(decoding: errors, as: UTF8.self)])
        }
        return Array(output)
    }
}

import ArgumentParser
import ChartArchive
import Foundation
import OpenPGP
import OpenSSLSupport
import Provenance

/// `chartwarden verify CHART.tgz [CHART.tgz.prov] --keyring FILE...`: the server's provenance
/// check, offline. Every key in the keyrings is trusted; revocations in them apply with their
/// reason and time. Exit 0 only for a passing verdict.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a chart against its .prov with the server's checks; exit 0 only if every check passes."
    )

    @Argument(help: "The packaged chart.")
    var chart: String

    @Argument(help: "Its provenance file (default: CHART.prov).")
    var provenance: String?

    @Option(name: .customLong("keyring"), help: "Public keys to trust (armored or binary); repeatable.")
    var keyrings: [String] = []

    @Flag(help: "Print the verdict as JSON.")
    var json = false

    func validate() throws {
        guard !keyrings.isEmpty else { throw ValidationError("at least one --keyring is required") }
    }

    func run() throws {
        let chartBytes = try Self.read(chart)
        let provenanceBytes = try Self.read(provenance ?? chart + ".prov")
        let package = try Self.readChart(chartBytes, path: chart)
        let home = NSTemporaryDirectory() + "chartwarden-verify-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: home) }
        let keyring = try OpenPGPKeyring(homeDirectory: home)
        let verifier = ProvenanceVerifier(keyring: keyring)
        var trusted: Set<String> = []
        var revocations: [String: SignerStanding.Revocation] = [:]
        // Checked as the server checks an import: only revocations GnuPG validated, the hardest
        // deciding, and a future-dated one refused (the shared rule).
        for path in keyrings {
            for certificate in try keyring.check(try Self.read(path)) {
                let fingerprint = certificate.key.fingerprint
                do {
                    if let revocation = try certificate.applicableRevocation(
                        now: Date(), skew: verifier.configuration.maximumClockSkew) {
                        revocations[fingerprint] = .init(at: revocation.created, isSoft: revocation.isSoft)
                    }
                } catch {
                    throw ValidationError("\(path): \(fingerprint): \(error.message)")
                }
                try keyring.adopt(certificate)
                trusted.insert(fingerprint)
            }
        }
        let verdict = verifier.verify(.init(
            chartName: package.metadata.name, chartVersion: package.metadata.version,
            chartDigest: SHA256Hasher.hash(chartBytes), provenance: provenanceBytes)) { fingerprint in
            SignerStanding(isTrusted: trusted.contains(fingerprint), revocation: revocations[fingerprint])
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(verdict), as: UTF8.self))
        } else {
            for check in verdict.checks {
                print("\(check.passed ? "pass" : "FAIL")  \(check.name.rawValue): \(check.detail)")
            }
            print(verdict.summary)
        }
        if !verdict.passed { throw ExitCode.failure }
    }

    static func readChart(_ bytes: [UInt8], path: String) throws -> ChartPackage {
        switch Result(catching: { () throws(ChartArchiveError) in try ChartArchiveReader().read(bytes: bytes) }) {
        case .success(let package): return package
        case .failure(let error): throw ValidationError("\(path): \(error.message)")
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return Array(data)
    }
}

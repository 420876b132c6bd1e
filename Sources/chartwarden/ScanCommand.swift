import ArgumentParser
import ChartArchive
import ChartWardenCore
import ContentPolicy
import Foundation
import OpenSSLSupport

/// `chartwarden scan CHART.tgz --config FILE [--repo NAME] [--signer FP] [--uploader P]`: the server's content-policy check,
/// offline, with the policy of one configured repository. Exit 0 when the upload would be
/// accepted (warnings allowed), 1 when the policy refuses it or the chart is unreadable.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Check a chart against a repository's content policy; exit 0 only if the server would accept it."
    )

    @Argument(help: "The packaged chart.")
    var chart: String

    @Option(help: "Configuration file (default: $CHARTWARDEN_CONFIG, else config/chartwarden.yaml).")
    var config: String?

    @Option(help: "Repository whose policy applies (\"\" or _ for the root); required when several are configured.")
    var repo: String?

    @Flag(help: "Print the verdict as JSON.")
    var json = false

    @Option(help: "Assume the provenance is verified as signed by this key fingerprint (for allow entries bound to signers).")
    var signer: String?

    @Option(help: "Assume the upload is made by this principal (user:NAME, cert:CN, group:NAME); repeatable.")
    var uploader: [String] = []

    func run() throws {
        let path = ConfigurationPath.resolve(config)
        let configuration: ChartWardenConfiguration
        do {
            configuration = try ChartWardenConfiguration.load(path: path)
        } catch {
            throw ValidationError("\(path): \(error)")
        }
        let repository = try Self.repository(configuration.repositories, named: repo)
        let bytes = try VerifyCommand.read(chart)
        // A chart the server could not read is one it refuses (400): exit 1, as for a violation.
        let package: ChartPackage
        do {
            package = try VerifyCommand.readChart(bytes, path: chart)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // The digest is the file's own; signer and uploader are what the caller says to assume.
        // Without --signer, entries bound to signers are shown as "if signed by", and do not count.
        let evidence = ContentPolicy.UploadEvidence(digest: "sha256:\(SHA256Hasher.hash(bytes).hex)", signer: signer,
                                                    signerPending: signer == nil, uploaders: Set(uploader))
        let verdict = repository.contentPolicy.evaluate(package, evidence: evidence)
        var decided = evidence
        decided.signerPending = false
        let refused = repository.contentPolicy.evaluate(package, evidence: decided).refusesUpload
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(verdict), as: UTF8.self))
        } else {
            print("scanned \(verdict.scannedFiles) template and CRD files, \(verdict.kindsFound) kinds "
                + "(repository '\(repository.name)', mode \(verdict.mode.rawValue))")
            for violation in verdict.violations {
                print("\(violation.severity == .deny ? "DENY" : "warn")  \(violation.file):\(violation.line)  "
                    + "\(violation.kind.isEmpty ? "(unreadable kind)" : violation.kind)  [\(violation.rule.rawValue)]")
            }
            for exemption in verdict.exemptions {
                let how = exemption.isPending
                    ? "only if signed by " + exemption.grantedBy.dropFirst("if-signed-by:".count)
                    : exemption.grantedBy
                print("\(exemption.isPending ? "pending" : "allowed")  \(exemption.violation.file):\(exemption.violation.line)  "
                    + "\(exemption.violation.kind)  [allow \(exemption.allowedBy), \(how)]")
            }
            print(verdict.summary)
        }
        if refused { throw ExitCode.failure }
    }

    static func repository(_ repositories: [ChartWardenConfiguration.Repository], named name: String?) throws
        -> ChartWardenConfiguration.Repository {
        guard let name else {
            guard repositories.count == 1 else {
                throw ValidationError("--repo is required: the configuration has \(repositories.count) repositories ("
                    + repositories.map { $0.name.isEmpty ? "_" : $0.name }.joined(separator: ", ") + ")")
            }
            return repositories[0]
        }
        let wanted = name == "_" ? "" : name
        guard let repository = repositories.first(where: { $0.name == wanted }) else {
            throw ValidationError("no repository '\(name)' in the configuration")
        }
        return repository
    }
}

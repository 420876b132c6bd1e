import ArgumentParser
import ChartWardenCore
import Foundation
import Logging
import Server

/// `chartwarden serve`: loads the configuration, opens the store, warms the index caches and
/// serves until SIGTERM/SIGINT, finishing in-flight requests before exiting 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the configured repositories over HTTPS."
    )

    @Option(help: "Configuration file (default: $CHARTWARDEN_CONFIG, else config/chartwarden.yaml).")
    var config: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level \(logLevel)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "chartwarden")
        let path = ConfigurationPath.resolve(config)
        let server: ChartWardenServer
        do {
            let configuration = try ChartWardenConfiguration.load(path: path)
            server = try ChartWardenServer(configuration: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("chartwarden: \(path): \(error)\n".utf8))
            throw ExitCode.failure
        }
        try await server.run { scheme, port in
            // One line per listener on stdout: scripts and tests wait for it instead of sleeping.
            FileHandle.standardOutput.write(Data("chartwarden: listening on \(scheme) port \(port)\n".utf8))
        }
    }
}

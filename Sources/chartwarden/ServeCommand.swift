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

    @Option(help: "text (one line per event) or json (one JSON object per line).")
    var logFormat: String = "text"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level \(logLevel)")
        }
        guard let format = LogLineFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format must be text or json")
        }
        // Lines are written in batches from the writer's own thread, never from an event loop.
        let writer = BufferedLogWriter(format: format)
        defer { writer.flush() }
        LoggingSystem.bootstrap { label in
            var handler = BufferedLogHandler(label: label, writer: writer)
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
            writer.flush()
            FileHandle.standardError.write(Data("chartwarden: \(path): \(error)\n".utf8))
            throw ExitCode.failure
        }
        try await server.run { scheme, port in
            // One line per listener on stdout: scripts and tests wait for it instead of sleeping.
            FileHandle.standardOutput.write(Data("chartwarden: listening on \(scheme) port \(port)\n".utf8))
        }
    }
}

import ArgumentParser
import NIOCore
import NIOPosix

// Run Swift concurrency on NIO's event loops: a request then never hops between the cooperative
// pool and the loop that owns its socket. Safe because every blocking call (libarchive, SQLite,
// file I/O, GPGME) goes to NIOThreadPool, never to a task. Must run before any async work.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// ArgumentParser's own async entry point, spelled out because `@main` cannot run code first.
func runChartWarden() async {
    do {
        var command = try ChartWarden.parseAsRoot()
        if var asyncCommand = command as? AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch {
        ChartWarden.exit(withError: error)
    }
}

await runChartWarden()

import ArgumentParser

struct ChartWarden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartwarden",
        abstract: "A Helm chart repository that refuses charts it cannot prove.",
        subcommands: [ServeCommand.self, IndexCommand.self, PasswdCommand.self, VerifyCommand.self, KeysCommand.self, ScanCommand.self,
                      MigrateCommand.self]
    )
}

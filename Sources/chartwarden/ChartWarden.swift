import ArgumentParser

@main
struct ChartWarden: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartwarden",
        abstract: "A Helm chart repository that refuses charts it cannot prove.",
        subcommands: [IndexCommand.self]
    )
}

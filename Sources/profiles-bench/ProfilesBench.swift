import ArgumentParser

@main
struct ProfilesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles-bench",
        abstract: "Benchmarks for profiles-server.",
        subcommands: [LoadCommand.self, SeedCommand.self, SeedFieldsCommand.self, SearchCommand.self, EchoServerCommand.self,
                       PhoneNormalizeCommand.self],
        defaultSubcommand: LoadCommand.self
    )
}

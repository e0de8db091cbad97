import ArgumentParser

@main
struct ProfilesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles-bench",
        abstract: "Benchmarks for profiles-server.",
        subcommands: [SeedCommand.self, SearchCommand.self]
    )
}

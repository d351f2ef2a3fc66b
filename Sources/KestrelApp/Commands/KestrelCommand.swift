public import ArgumentParser

/// `kestrel`: the command-line entry point.
public struct KestrelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kestrel",
        abstract: "Kestrel scans every perpetual-futures market and trades the moment an opportunity appears.",
        subcommands: [RunCommand.self, BacktestCommand.self, StatusCommand.self, TradesCommand.self, ConfigCommand.self, ScanCommand.self, IndicatorsCommand.self, DataCommand.self, BenchCommand.self]
    )

    public init() {}
}

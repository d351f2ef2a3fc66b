import ArgumentParser
import Configuration
import SystemPackage
import TextTable

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "List every setting of `kestrel run` with its value now (secrets hidden), default and range.",
        discussion: "Values come from defaults, then the .env file, then the environment (highest wins)."
    )

    @Option(help: "A .env file to read settings from (missing is fine).")
    var envFile: String = ".env"

    func run() async throws {
        let secrets = SecretsSpecifier<String, String>.specific(Set(BotSettings.specs.filter(\.isSecret).map(\.name)))
        let config = ConfigReader(providers: [
            EnvironmentVariablesProvider(secretsSpecifier: secrets),
            try await EnvironmentVariablesProvider(environmentFilePath: FilePath(envFile), allowMissing: true,
                                                   secretsSpecifier: secrets),
        ])
        // Refuse to list a configuration that `kestrel run` would refuse to start with.
        _ = try BotSettings.load(from: config)
        struct Row {
            var name: String
            var value: String
            var defaultValue: String
            var allowed: String
            var help: String
        }
        let rows = BotSettings.specs.map { spec -> Row in
            let value = config.string(forKey: spec.key, isSecret: spec.isSecret)
            let shown = value.map { spec.isSecret ? "<set, hidden>" : $0 } ?? "-"
            return Row(name: spec.name, value: shown, defaultValue: spec.defaultValue, allowed: spec.allowed,
                       help: spec.help)
        }
        let table = TextTable<Row> {
            [Column(title: "Setting", value: $0.name), Column(title: "Value", value: $0.value),
             Column(title: "Default", value: $0.defaultValue), Column(title: "Allowed", value: $0.allowed),
             Column(title: "Meaning", value: $0.help)]
        }
        print(table.string(for: rows) ?? "")
    }
}

import ArgumentParser
import Configuration
import Foundation
import KestrelAlerts
import KestrelCore
import KestrelKuCoin
import KestrelRuntime
import KestrelServer
import KestrelStorage
import SystemPackage

/// Every setting of `kestrel run`, read from (lowest first) defaults, a `.env` file, the environment and
/// command-line flags. A value that is not what a setting allows stops start-up with a message naming the setting,
/// the value and what is allowed.
struct BotSettings: Sendable {
    var checkInterval: Int64
    var positionUpdateInterval: Int64
    var maxOpportunityAge: Int64
    var maxPriceDrift: Double
    var risk: RiskSettings
    var maxHoldHours: Double
    var closePositionsOnShutdown: Bool
    var startingBalance: Double
    var takerFee: Double
    var makerFee: Double
    var slippageBps: Double
    var fundingRate: Double
    var marginMode: MarginMode
    var journalDurability: JournalDurability
    var paperFaults: PaperFaults
    var reconcileInterval: Int64
    var universeRefreshInterval: Int64
    var stopGraceSeconds: Int64
    var stopAmendInterval: Int64
    var stopAmendMinStep: Double
    var stopPriceType: KuCoinStopPriceType
    /// The KuCoin key when all three of its settings are given.
    var kucoinCredentials: KuCoinCredentials?
    /// The key's settings that are missing (all three when none is given).
    var missingCredentials: [String]
    /// Where the API listens; nil: off.
    var httpAddress: HTTPAddress?
    /// The bearer token the API's controls need; nil: controls off.
    var apiToken: String?
    /// Every setting as `kestrel config` shows it (secrets hidden), for the API.
    var shown: [APISetting]
    /// Where alerts go (none: no alerts).
    var alerts: AlertSettings

    /// One setting: its environment name, default and what it accepts.
    struct Spec: Sendable {
        var name: String
        var defaultValue: String
        var allowed: String
        var help: String
        var isSecret = false

        /// The configuration key: `CHECK_INTERVAL` is `check.interval` (and so the environment variable of that name).
        var key: ConfigKey { ConfigKey(name.lowercased().replacingOccurrences(of: "_", with: ".")) }
    }

    static let specs: [Spec] = [
        Spec(name: "CHECK_INTERVAL", defaultValue: "60", allowed: "5 to 86400 seconds",
             help: "Seconds between background market scans."),
        Spec(name: "POSITION_UPDATE_INTERVAL", defaultValue: "5", allowed: "1 to 3600 seconds",
             help: "Seconds between position-monitor ticks (exits are also checked on every price)."),
        Spec(name: "MAX_OPPORTUNITY_AGE", defaultValue: "2 x CHECK_INTERVAL", allowed: "1 to 86400 seconds",
             help: "Opportunities from an older scan are not traded."),
        Spec(name: "MAX_PRICE_DRIFT", defaultValue: "0.005", allowed: "0 to 0.5",
             help: "Skip an opportunity whose price moved more than this fraction since its scan."),
        Spec(name: "MAX_OPEN_POSITIONS", defaultValue: "3", allowed: "1 to 100", help: "Most positions open at once."),
        Spec(name: "LEVERAGE", defaultValue: "balance tier: 12 at 10,000", allowed: "1 to 125",
             help: "Highest leverage; each trade's leverage is scored from 3 up to this."),
        Spec(name: "RISK_PER_TRADE", defaultValue: "balance tier: 0.025 at 10,000", allowed: "0.001 to 0.1",
             help: "Loss at the stop as a fraction of equity (before Kelly and drawdown adjustments)."),
        Spec(name: "MAX_POSITION_SIZE", defaultValue: "balance tier: 0.6 at 10,000", allowed: "0.01 to 1",
             help: "Largest margin of one position as a fraction of equity."),
        Spec(name: "TRAILING_STOP_PERCENTAGE", defaultValue: "0.02", allowed: "0.001 to 0.2",
             help: "Base trailing-stop distance (adjusted by volatility and profit, clamped to 0.5%-5%)."),
        Spec(name: "DAILY_LOSS_LIMIT", defaultValue: "0.05", allowed: "0.001 to 1",
             help: "No new entries once the day's loss reaches this fraction of start-of-day equity (00:00 UTC)."),
        Spec(name: "SYMBOL_COOLDOWN", defaultValue: "3600", allowed: "0 to 604800 seconds",
             help: "After an exit, a symbol is not traded again for this long."),
        Spec(name: "MAX_HOLD_HOURS", defaultValue: "24", allowed: "0.1 to 720", help: "Close a position after this long."),
        Spec(name: "CLOSE_POSITIONS_ON_SHUTDOWN", defaultValue: "false", allowed: "true or false",
             help: "Close open positions when the bot stops (their exchange stops stay otherwise)."),
        Spec(name: "STARTING_BALANCE", defaultValue: "10000", allowed: "1 to 1e9",
             help: "Paper account balance in the quote currency."),
        Spec(name: "TAKER_FEE", defaultValue: "0.0006", allowed: "0 to 0.01", help: "Paper exchange taker fee."),
        Spec(name: "MAKER_FEE", defaultValue: "0.0002", allowed: "-0.001 to 0.01", help: "Paper exchange maker fee."),
        Spec(name: "SLIPPAGE_BPS", defaultValue: "5", allowed: "0 to 500", help: "Paper fills' slippage in basis points."),
        Spec(name: "FUNDING_RATE", defaultValue: "0.0001", allowed: "-0.01 to 0.01",
             help: "Paper funding per 8 hours, paid by longs when positive."),
        Spec(name: "MARGIN_MODE", defaultValue: "isolated", allowed: "isolated or cross",
             help: "Margin mode of new positions (live: set per symbol while it is flat)."),
        Spec(name: "RECONCILE_INTERVAL", defaultValue: "300", allowed: "10 to 86400 seconds",
             help: "Seconds between reconciliations with the venue (also at start and after every reconnect)."),
        Spec(name: "UNIVERSE_REFRESH_INTERVAL", defaultValue: "3600", allowed: "60 to 86400 seconds",
             help: "Seconds between looks at a live venue's listing: new contracts streamed, delisted ones dropped."),
        Spec(name: "STOP_GRACE_SECONDS", defaultValue: "10", allowed: "1 to 3600 seconds",
             help: "A position whose stop the venue has not acknowledged for this long is closed at market."),
        Spec(name: "STOP_AMEND_INTERVAL", defaultValue: "5", allowed: "0 to 3600 seconds",
             help: "A stop is moved at most this often (each move costs requests); backtests keep every move."),
        Spec(name: "STOP_AMEND_MIN_STEP", defaultValue: "0.0005", allowed: "0 to 0.05",
             help: "A stop is moved only by at least this fraction of its price (and a tick)."),
        Spec(name: "PAPER_FAULTS", defaultValue: "none", allowed: "NAME=VALUE,... (see kestrel run --help)",
             help: "Make the paper venue misbehave: latency=MS, partial, duplicate, reorder, timeout, error-after, "
                 + "error-before, reject-stop, drop (probabilities), seed=N."),
        Spec(name: "JOURNAL_SYNC", defaultValue: "normal", allowed: "normal or full",
             help: "normal: every step survives a crash of Kestrel; full: a crash of the machine or a power cut too "
                 + "(each step waits for the disk)."),
        Spec(name: "STOP_PRICE_TYPE", defaultValue: "mark", allowed: "mark, last or index",
             help: "The price a live protective stop triggers on (KuCoin: MP, TP, IP)."),
        Spec(name: "KUCOIN_API_KEY", defaultValue: "(none)", allowed: "text",
             help: "KuCoin Futures API key, version 2, trade permission only (secret; --live only).", isSecret: true),
        Spec(name: "KUCOIN_API_SECRET", defaultValue: "(none)", allowed: "text",
             help: "KuCoin Futures API secret (secret).", isSecret: true),
        Spec(name: "KUCOIN_API_PASSPHRASE", defaultValue: "(none)", allowed: "text",
             help: "KuCoin Futures API passphrase (secret).", isSecret: true),
        Spec(name: "HTTP_ADDRESS", defaultValue: "127.0.0.1:8420", allowed: "HOST:PORT or off",
             help: "Where the HTTP API listens (--http). Beyond loopback it needs API_TOKEN."),
        Spec(name: "API_TOKEN", defaultValue: "(none)", allowed: "text, 16 characters or more",
             help: "Bearer token for the API's controls (pause, resume, close); without it they are off (secret).",
             isSecret: true),
        Spec(name: "ALERT_WEBHOOK_URL", defaultValue: "(none)", allowed: "an http:// or https:// URL",
             help: "Alerts as JSON POSTs to this address (secret: such URLs often hold a token).", isSecret: true),
        Spec(name: "TELEGRAM_BOT_TOKEN", defaultValue: "(none)", allowed: "text",
             help: "Alerts to Telegram through this bot (secret); needs TELEGRAM_CHAT_ID.", isSecret: true),
        Spec(name: "TELEGRAM_CHAT_ID", defaultValue: "(none)", allowed: "text",
             help: "The Telegram chat the bot writes alerts to."),
        Spec(name: "TELEGRAM_API_URL", defaultValue: "https://api.telegram.org", allowed: "an http:// or https:// URL",
             help: "Telegram's Bot API (another address for a test server)."),
    ]

    /// The settings that hold the KuCoin key, in the order a message names the missing ones.
    static let credentialNames = ["KUCOIN_API_KEY", "KUCOIN_API_SECRET", "KUCOIN_API_PASSPHRASE"]

    struct InvalidSetting: Error, CustomStringConvertible {
        var name: String
        var value: String
        var allowed: String
        var description: String { "invalid setting \(name)=\(value): allowed values are \(allowed)" }
    }

    static func spec(_ name: String) -> Spec { specs.first { $0.name == name }! }

    /// Reads the settings from, highest first: `flags`, then `--set NAME=VALUE` assignments, then the environment,
    /// then the `.env` file, then the defaults.
    static func resolve(envFile: String, assignments: [String], flags: [String: String]) async throws -> BotSettings {
        var values = [AbsoluteConfigKey: ConfigValue]()
        func put(_ name: String, _ value: String) {
            let spec = spec(name)
            values[AbsoluteConfigKey(spec.key)] = ConfigValue(.string(value), isSecret: spec.isSecret)
        }
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts.first?.uppercased() ?? ""
            guard parts.count == 2, specs.contains(where: { $0.name == name }) else {
                throw ValidationError("--set \(assignment): expected NAME=VALUE with a NAME from `kestrel config`")
            }
            put(name, parts[1])
        }
        for (name, value) in flags { put(name, value) }
        let secrets = SecretsSpecifier<String, String>.specific(Set(specs.filter(\.isSecret).map(\.name)))
        let config = ConfigReader(providers: [
            InMemoryProvider(name: "command line", values: values),
            EnvironmentVariablesProvider(secretsSpecifier: secrets),
            try await EnvironmentVariablesProvider(environmentFilePath: FilePath(envFile), allowMissing: true,
                                                   secretsSpecifier: secrets),
        ])
        return try load(from: config)
    }

    static func load(from config: ConfigReader) throws -> BotSettings {
        func text(_ name: String) -> String? {
            let spec = spec(name)
            return config.string(forKey: spec.key, isSecret: spec.isSecret)?.trimmingCharacters(in: .whitespaces)
        }
        func fail(_ name: String, _ value: String) -> InvalidSetting {
            InvalidSetting(name: name, value: value, allowed: spec(name).allowed)
        }
        func seconds(_ name: String, _ fallback: Int64, _ range: ClosedRange<Int64>) throws -> Int64 {
            guard let raw = text(name) else { return fallback }
            guard let value = Int64(raw), range.contains(value) else { throw fail(name, raw) }
            return value
        }
        func number(_ name: String, _ fallback: Double?, _ range: ClosedRange<Double>) throws -> Double? {
            guard let raw = text(name) else { return fallback }
            guard let value = Double(raw), value.isFinite, range.contains(value) else { throw fail(name, raw) }
            return value
        }
        func integer(_ name: String, _ fallback: Int?, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = text(name) else { return fallback }
            guard let value = Int(raw), range.contains(value) else { throw fail(name, raw) }
            return value
        }

        let checkInterval = try seconds("CHECK_INTERVAL", 60, 5...86_400)
        let balance = try number("STARTING_BALANCE", 10_000, 1...1e9)!
        let tier = RiskSettings.tier(forBalance: balance)
        var risk = RiskSettings()
        risk.maxOpenPositions = try integer("MAX_OPEN_POSITIONS", 3, 1...100)!
        risk.leverage = try integer("LEVERAGE", tier.leverage, 1...125)!
        risk.riskPerTrade = try number("RISK_PER_TRADE", tier.riskPerTrade, 0.001...0.1)!
        risk.maxPositionSize = try number("MAX_POSITION_SIZE", tier.maxPositionSize, 0.01...1)!
        risk.trailingStopPercentage = try number("TRAILING_STOP_PERCENTAGE", 0.02, 0.001...0.2)!
        risk.dailyLossLimit = try number("DAILY_LOSS_LIMIT", 0.05, 0.001...1)!
        risk.symbolCooldownSeconds = try seconds("SYMBOL_COOLDOWN", 3600, 0...604_800)

        let closeOnShutdown: Bool
        switch text("CLOSE_POSITIONS_ON_SHUTDOWN")?.lowercased() {
        case nil, "false", "0", "no": closeOnShutdown = false
        case "true", "1", "yes": closeOnShutdown = true
        case let other?: throw fail("CLOSE_POSITIONS_ON_SHUTDOWN", other)
        }
        let marginText = text("MARGIN_MODE")?.lowercased() ?? "isolated"
        guard let marginMode = MarginMode(rawValue: marginText) else { throw fail("MARGIN_MODE", marginText) }
        let syncText = text("JOURNAL_SYNC")?.lowercased() ?? "normal"
        guard let journalDurability = JournalDurability(rawValue: syncText) else { throw fail("JOURNAL_SYNC", syncText) }
        let stopText = text("STOP_PRICE_TYPE") ?? "mark"
        guard let stopPriceType = KuCoinStopPriceType(setting: stopText) else { throw fail("STOP_PRICE_TYPE", stopText) }
        let given = credentialNames.map { name in text(name).flatMap { $0.isEmpty ? nil : $0 } }
        let credentials: KuCoinCredentials? = if case let (key?, secret?, passphrase?) = (given[0], given[1], given[2]) {
            KuCoinCredentials(key: key, secret: secret, passphrase: passphrase)
        } else {
            nil
        }
        let addressText = text("HTTP_ADDRESS") ?? "127.0.0.1:8420"
        let httpAddress: HTTPAddress?
        do {
            httpAddress = try HTTPAddress.parse(addressText)
        } catch {
            throw InvalidSetting(name: "HTTP_ADDRESS", value: addressText, allowed: error.reason)
        }
        let apiToken = text("API_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
        if let apiToken, apiToken.count < 16 {
            throw InvalidSetting(name: "API_TOKEN", value: "<\(apiToken.count) characters, hidden>",
                                 allowed: spec("API_TOKEN").allowed)
        }
        if let httpAddress, !httpAddress.isLoopback, apiToken == nil {
            throw InvalidSetting(name: "HTTP_ADDRESS", value: addressText,
                                 allowed: "a loopback address (127.0.0.1, ::1) unless API_TOKEN is set: others could "
                                     + "reach the API")
        }
        var alerts = AlertSettings()
        func url(_ name: String) throws -> String? {
            guard let value = text(name).flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
            guard value.hasPrefix("http://") || value.hasPrefix("https://"), URL(string: value) != nil else {
                throw InvalidSetting(name: name, value: spec(name).isSecret ? "<hidden>" : value,
                                     allowed: spec(name).allowed)
            }
            return value
        }
        alerts.webhookURL = try url("ALERT_WEBHOOK_URL")
        alerts.telegramToken = text("TELEGRAM_BOT_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
        alerts.telegramChatID = text("TELEGRAM_CHAT_ID").flatMap { $0.isEmpty ? nil : $0 }
        if let telegramURL = try url("TELEGRAM_API_URL") { alerts.telegramAPIURL = telegramURL }
        if (alerts.telegramToken == nil) != (alerts.telegramChatID == nil) {
            throw InvalidSetting(name: alerts.telegramToken == nil ? "TELEGRAM_BOT_TOKEN" : "TELEGRAM_CHAT_ID",
                                 value: "(none)", allowed: "set together with "
                                     + (alerts.telegramToken == nil ? "TELEGRAM_CHAT_ID" : "TELEGRAM_BOT_TOKEN"))
        }
        alerts.dailyLossLimit = risk.dailyLossLimit
        let shown = specs.map { spec in
            APISetting(name: spec.name, value: text(spec.name).map { spec.isSecret ? "<set, hidden>" : $0 }
                ?? "default: \(spec.defaultValue)")
        }
        let faultsText = text("PAPER_FAULTS") ?? "none"
        let paperFaults: PaperFaults
        do {
            paperFaults = try PaperFaults(parsing: faultsText)
        } catch {
            throw InvalidSetting(name: "PAPER_FAULTS", value: faultsText, allowed: error.description)
        }

        return BotSettings(
            checkInterval: checkInterval,
            positionUpdateInterval: try seconds("POSITION_UPDATE_INTERVAL", 5, 1...3600),
            maxOpportunityAge: try seconds("MAX_OPPORTUNITY_AGE", 2 * checkInterval, 1...86_400),
            maxPriceDrift: try number("MAX_PRICE_DRIFT", 0.005, 0...0.5)!,
            risk: risk,
            maxHoldHours: try number("MAX_HOLD_HOURS", 24, 0.1...720)!,
            closePositionsOnShutdown: closeOnShutdown,
            startingBalance: balance,
            takerFee: try number("TAKER_FEE", 0.0006, 0...0.01)!,
            makerFee: try number("MAKER_FEE", 0.0002, -0.001...0.01)!,
            slippageBps: try number("SLIPPAGE_BPS", 5, 0...500)!,
            fundingRate: try number("FUNDING_RATE", 0.0001, -0.01...0.01)!,
            marginMode: marginMode,
            journalDurability: journalDurability,
            paperFaults: paperFaults,
            reconcileInterval: try seconds("RECONCILE_INTERVAL", 300, 10...86_400),
            universeRefreshInterval: try seconds("UNIVERSE_REFRESH_INTERVAL", 3_600, 60...86_400),
            stopGraceSeconds: try seconds("STOP_GRACE_SECONDS", 10, 1...3600),
            stopAmendInterval: try seconds("STOP_AMEND_INTERVAL", 5, 0...3600),
            stopAmendMinStep: try number("STOP_AMEND_MIN_STEP", 0.0005, 0...0.05)!,
            stopPriceType: stopPriceType,
            kucoinCredentials: credentials,
            missingCredentials: zip(credentialNames, given).filter { $0.1 == nil }.map(\.0),
            httpAddress: httpAddress, apiToken: apiToken, shown: shown, alerts: alerts)
    }

    /// Raises `STOP_GRACE_SECONDS` to `grace` when it is lower; says whether it did.
    mutating func raiseStopGrace(toAtLeast grace: Int64) -> Bool {
        guard grace > stopGraceSeconds else { return false }
        stopGraceSeconds = grace
        return true
    }

    var engine: EngineSettings {
        EngineSettings(risk: risk, maxOpportunityAgeSeconds: maxOpportunityAge, maxPriceDrift: maxPriceDrift,
                       maxHoldSeconds: Int64(maxHoldHours * 3600), closePositionsOnShutdown: closePositionsOnShutdown,
                       stopGraceSeconds: stopGraceSeconds, stopAmendIntervalSeconds: stopAmendInterval,
                       stopAmendMinStep: stopAmendMinStep, takerFee: takerFee)
    }

    var exchange: PaperExchangeSettings {
        PaperExchangeSettings(startingBalance: startingBalance, takerFee: takerFee, makerFee: makerFee,
                              slippage: slippageBps / 10_000, fundingRate: fundingRate, marginMode: marginMode)
    }
}

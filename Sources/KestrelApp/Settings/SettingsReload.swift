import KestrelCore
import KestrelRuntime
import KestrelServer
import Synchronization

/// `POST /api/v1/reload`: reads the settings again as at start (the same command line, with the `.env` file and
/// the environment as they are now, and the run's own adjustments such as a replay's stop grace: `load` gives them)
/// and applies those the engine may change while running. The others are reported
/// as waiting for a restart, and the running bot keeps them as they were.
final class SettingsReload: Sendable {
    /// The settings the engine applies while running: its risk limits and exit rules. A value derived from another
    /// setting (a balance tier, the opportunity age from the scan interval) follows the setting it is derived from.
    static let appliedWhileRunning: Set<String> = [
        "MAX_OPPORTUNITY_AGE", "MAX_PRICE_DRIFT", "MAX_OPEN_POSITIONS", "LEVERAGE", "RISK_PER_TRADE",
        "MAX_POSITION_SIZE", "TRAILING_STOP_PERCENTAGE", "DAILY_LOSS_LIMIT", "SYMBOL_COOLDOWN", "MAX_HOLD_HOURS",
        "CLOSE_POSITIONS_ON_SHUTDOWN", "STOP_GRACE_SECONDS", "STOP_AMEND_INTERVAL", "STOP_AMEND_MIN_STEP",
    ]

    private let load: @Sendable () async throws -> BotSettings
    /// The settings in effect, as `kestrel config` shows them.
    private let current: Mutex<[APISetting]>

    init(shown: [APISetting], load: @escaping @Sendable () async throws -> BotSettings) {
        current = Mutex(shown)
        self.load = load
    }

    /// The settings in effect (secrets hidden).
    var shown: [APISetting] { current.withLock { $0 } }

    func reload(source: String, desk: TradingDesk, at time: Timestamp) async -> ControlOutcome {
        let new: BotSettings
        do {
            new = try await load()
        } catch {
            let outcome = ControlOutcome(applied: false, message: "the settings were not reloaded: \(error)")
            await desk.control(.applySettings(await desk.engineSettings, summary: outcome.message), source: source,
                               at: time)
            return outcome
        }
        let before = Dictionary(shown.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let changed = new.shown.filter { before[$0.name] != $0.value }
        let applied = changed.filter { Self.appliedWhileRunning.contains($0.name) }
        let waiting = changed.filter { !Self.appliedWhileRunning.contains($0.name) }
        func list(_ settings: [APISetting]) -> String {
            settings.map { "\($0.name) \(before[$0.name] ?? "?") → \($0.value)" }.joined(separator: ", ")
        }
        var summary = applied.isEmpty ? "no setting applied while running has changed" : "applied \(list(applied))"
        if !waiting.isEmpty { summary += "; after a restart: \(list(waiting))" }
        let outcome = await desk.control(.applySettings(new.engine, summary: summary), source: source, at: time)
        let names = Set(applied.map(\.name))
        current.withLock { shown in
            for index in shown.indices where names.contains(shown[index].name) {
                shown[index].value = new.shown.first { $0.name == shown[index].name }?.value ?? shown[index].value
            }
        }
        return ControlOutcome(applied: outcome.applied || !applied.isEmpty, message: summary)
    }
}

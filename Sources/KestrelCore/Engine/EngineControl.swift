/// A person steering the bot (from the HTTP API or the dashboard): what the engine is told to do at once, outside
/// its own rules.
public enum EngineControl: Sendable, Hashable, CustomStringConvertible {
    /// No new entries until resumed; open positions are still managed to their end. Kept across restarts.
    case pauseEntries
    case resumeEntries
    /// Closes one position at market (its stop and targets are cancelled when it is flat).
    case close(symbol: String)
    /// Closes every open position at market.
    case closeAll
    /// Cancels the take-profit orders resting on the venue; the engine then takes profit itself, at market, when the
    /// price gets there. Stops stay: they are the account's protection (closing a position removes its stop).
    case cancelOrders
    /// New settings from a reload (`summary` says what changed, for the journal and the log). The venue's figures
    /// (fees, maintenance margin) and whether the engine keeps notes stay as they are.
    case applySettings(EngineSettings, summary: String)

    public var description: String {
        switch self {
        case .pauseEntries: "pause"
        case .resumeEntries: "resume"
        case .close(let symbol): "close \(symbol)"
        case .closeAll: "close-all"
        case .cancelOrders: "cancel-all"
        case .applySettings: "reload"
        }
    }
}

/// How margin is shared between positions.
public enum MarginMode: String, Sendable, Codable, CaseIterable {
    /// Each position has its own margin and can lose at most that.
    case isolated
    /// All positions share the wallet; a liquidation closes them all.
    case cross
}

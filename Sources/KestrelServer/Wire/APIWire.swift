import Foundation
import KestrelCore
import KestrelRuntime

/// The API's answers, as JSON (snake_case keys, times in ISO 8601 UTC, money in the account's currency). docs/api.md
/// describes each; a field is added, never renamed or removed, within `/api/v1`.
enum APIWire {
    struct Status: Encodable {
        var mode: String
        var venue: String
        var connected: Bool
        var paused: Bool
        /// Why trading stopped for good (the venue refused the key), or null.
        var haltReason: String?
        var time: String?
        var uptimeSeconds: Int64
        var balance: Double
        var equity: Double
        var pnlToday: Double
        var pnlTotal: Double
        var realizedPnl: Double
        var drawdown: Double
        var maxDrawdown: Double
        var openPositions: Int
        var ordersInFlight: Int
        var unknownOrders: Int
        var lastScan: Scan?
        var journalHealthy: Bool
        /// The journal the bot writes (so `kestrel status` knows it is asking the bot of its journal).
        var journal: String?

        struct Scan: Encodable {
            var sequence: Int
            var finishedAt: String
            var ageSeconds: Int64
        }
    }

    struct Position: Encodable {
        var symbol: String
        var side: String
        var lots: Int
        var entryPrice: Double
        var stopPrice: Double
        /// pending (sent, not yet acknowledged), acknowledged (resting on the venue) or missing.
        var stopState: String
        var stopOrderId: String?
        var unrealizedPnl: Double
        var openedAt: String
        var ageSeconds: Int64
        var takeProfit: Double
        var leverage: Int
    }

    struct Order: Encodable {
        var clientOrderId: String
        /// Null for an order being looked up (its id names its symbol).
        var symbol: String?
        /// stop, or unknown (sent, no answer: being looked up by its client order id).
        var kind: String
        var state: String
        var triggerPrice: Double?
    }

    struct Orders: Encodable {
        var inFlight: Int
        var orders: [Order]
    }

    struct Opportunity: Encodable {
        var symbol: String
        var signal: String
        var score: Double
        var confidence: Double
        var price: Double
        var regime: String
        var dataTime: String
        var ageSeconds: Int64
    }

    struct Opportunities: Encodable {
        var sequence: Int?
        var scanFinished: String?
        var ageSeconds: Int64?
        var opportunities: [Opportunity]
    }

    struct Trade: Encodable {
        var symbol: String
        var side: String
        var lots: Int
        var entryPrice: Double
        var exitPrice: Double
        var openedAt: String
        var closedAt: String
        var reason: String
        var pnl: Double
        var fees: Double
        var funding: Double
    }

    struct Trades: Encodable {
        var trades: [Trade]
        /// Pass as `since` for the trades after these (null: none were returned).
        var nextSince: String?
    }

    struct EquityPoint: Encodable {
        var time: String
        var equity: Double
        /// Fall from the highest equity before this point, as a fraction.
        var drawdown: Double
    }

    struct Equity: Encodable {
        var points: [EquityPoint]
    }

    struct Risk: Encodable {
        /// The day's loss as a fraction of its starting equity, and where new entries stop.
        var dailyLoss: Double
        var dailyLossLimit: Double
        var lossStreak: Int
        var winStreak: Int
        var paused: Bool
        var stopsNotAcknowledged: Int
        var drawdown: Double
        /// Symbols not traded again until `until`, after an exit.
        var cooldowns: [Cooldown]
        var kelly: Kelly

        struct Cooldown: Encodable {
            var symbol: String
            var until: String
            var remainingSeconds: Int64
        }

        /// Kelly sizing: from `trades_needed` closed trades on, the risk per trade follows the win rate and payoff
        /// ratio of the last 200 (half-Kelly, less in drawdown or a losing streak, within 0.5% to 3.5%).
        struct Kelly: Encodable {
            var trades: Int
            var tradesNeeded: Int
            var active: Bool
            var winRate: Double?
            var payoffRatio: Double?
            var baseRiskPerTrade: Double
            /// The fraction of equity the next entry risks at its stop.
            var riskPerTrade: Double
        }
    }

    struct Scans: Encodable {
        /// Scans finished in this run.
        var scans: Int
        var intervalSeconds: Int64
        var lastFinishedAt: String?
        var lastAgeSeconds: Int64?
        var lastDurationMs: Double?
        /// Wall time of the run's scans.
        var durationMs: Percentiles?
        /// Opportunities in the latest snapshot.
        var opportunities: Int
        /// From the step that re-validated a signal to its entry order leaving.
        var signalAgeAtOrderMs: Percentiles?
        var journalCommitMs: Percentiles?

        struct Percentiles: Encodable {
            var p50: Double
            var p99: Double
            var max: Double
        }
    }

    struct Setting: Encodable {
        var name: String
        var value: String
    }

    struct Config: Encodable {
        var settings: [Setting]
    }

    struct Control: Encodable {
        var applied: Bool
        var message: String
    }

    struct Health: Encodable {
        var ok: Bool
        var checks: [String: Check]

        struct Check: Encodable {
            var ok: Bool
            var detail: String
        }
    }

    struct Failure: Encodable {
        var error: Detail

        struct Detail: Encodable {
            var status: Int
            var message: String
        }
    }
}

extension APIWire.Position {
    init(_ position: DeskStatus.Position, now: Timestamp) {
        self.init(symbol: position.symbol, side: position.side.rawValue, lots: position.lots,
                  entryPrice: position.entryPrice, stopPrice: position.stopPrice,
                  stopState: position.stopState.rawValue, stopOrderId: position.stopOrderID?.rawValue,
                  unrealizedPnl: position.unrealizedPnL, openedAt: position.openedAt.iso8601,
                  ageSeconds: max(0, now - position.openedAt), takeProfit: position.takeProfit,
                  leverage: position.leverage)
    }
}

extension APIWire.Trade {
    init(_ trade: ClosedTrade) {
        self.init(symbol: trade.symbol, side: trade.side.rawValue, lots: trade.lots, entryPrice: trade.entryPrice,
                  exitPrice: trade.exitPrice, openedAt: trade.openedAt.iso8601, closedAt: trade.closedAt.iso8601,
                  reason: trade.reason.rawValue, pnl: trade.pnl, fees: trade.fees, funding: trade.funding)
    }
}

extension APIWire.Opportunity {
    init(_ opportunity: KestrelCore.Opportunity, now: Timestamp) {
        self.init(symbol: opportunity.symbol, signal: opportunity.signal.rawValue, score: opportunity.score,
                  confidence: opportunity.confidence, price: opportunity.price, regime: opportunity.regime.rawValue,
                  dataTime: opportunity.dataTime.iso8601, ageSeconds: max(0, now - opportunity.dataTime))
    }
}

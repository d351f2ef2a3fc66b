import ArgumentParser
import Foundation
import KestrelCore
import KestrelServer
import KestrelStorage
import TextTable

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Balance, equity, open positions with PnL and stops, open orders, and the last scan.",
        discussion: """
            Asks the bot running on the journal through its API (what it holds now); reads the journal when no bot \
            answers (what it last saved). It never writes to the journal.
            """
    )

    @Option(help: "The journal to read; default: $KESTREL_DB, else the data directory.")
    var db: String?

    @Option(help: "The running bot's API, HOST:PORT, or off to read the journal only (default: $HTTP_ADDRESS, else 127.0.0.1:8420).")
    var api: String?

    @Flag(help: "Print JSON.")
    var json = false

    struct Report: Encodable {
        struct Position: Encodable {
            var symbol: String
            var side: String
            var lots: Int
            var entry_price: Double
            var stop_price: Double
            var take_profit: Double
            var leverage: Int
            var unrealized_pnl: Double
            /// Whether the venue acknowledged the stop (`acknowledged`), not yet (`pending`), or holds none
            /// (`missing`: the engine watches the price itself and sends a new one).
            var stop_state: String
            var stop_order_id: String?
        }

        struct Order: Encodable {
            var client_order_id: String
            var symbol: String
            var side: String
            var lots: Int
            var kind: String
            var price: Double?
            var state: String
        }

        struct LastScan: Encodable {
            var sequence: Int
            var at: String
            var age_s: Int64
        }

        var balance: Double
        var equity: Double
        var realized_pnl: Double
        var market_time: String
        var positions: [Position]
        var open_orders: [Order]
        /// Orders sent with no answer, being looked up by client order id.
        var unknown_orders: [Order]
        var last_scan: LastScan?
    }

    func run() async throws {
        let (journal, path) = try DataDirectory.existingJournal(db)
        if let bot = try await RunningBot.find(api: api, journal: path) {
            let report: Report
            do {
                report = try await Self.report(from: bot)
            } catch {
                await bot.close()
                throw error
            }
            await bot.close()
            try show(report, source: "the running bot (\(bot.base)), journal \(path)")
            return
        }
        guard let saved = try journal.loadState() else {
            throw ValidationError("the journal \(path) has no saved state yet")
        }
        let now = saved.savedAt
        let engine = saved.engine
        let positions = engine.positions.values.sorted { $0.symbol < $1.symbol }.map { p in
            Report.Position(symbol: p.symbol, side: p.side.rawValue, lots: p.lots, entry_price: p.entryPrice,
                            stop_price: p.stopPrice, take_profit: p.takeProfitPrice, leverage: p.leverage,
                            unrealized_pnl: p.unrealizedPnL(at: engine.lastPrices[p.symbol] ?? p.entryPrice),
                            stop_state: p.stopState.rawValue, stop_order_id: p.stopOrderID?.rawValue)
        }
        let orders = try journal.openOrders().map {
            Report.Order(client_order_id: $0.clientOrderID, symbol: $0.symbol, side: $0.side, lots: $0.lots,
                         kind: $0.kind, price: $0.price, state: $0.state)
        }
        let report = Report(
            balance: engine.cash, equity: positions.reduce(engine.cash) { $0 + $1.unrealized_pnl },
            realized_pnl: saved.closedTrades.reduce(0) { $0 + $1.pnl }, market_time: now.iso8601,
            positions: positions,
            open_orders: orders,
            unknown_orders: orders.filter { $0.state == "unknown" },
            last_scan: try journal.lastScan().map {
                Report.LastScan(sequence: $0.sequence, at: $0.finishedAt.iso8601, age_s: now - $0.finishedAt)
            })
        try show(report, source: "journal \(path) (no bot answers on its API)")
    }

    /// What the running bot's API says, as the report.
    static func report(from bot: RunningBot) async throws -> Report {
        let status = try await bot.object("/api/v1/status")
        let positions = try await bot.array("/api/v1/positions").map { p in
            Report.Position(symbol: p["symbol"] as? String ?? "", side: p["side"] as? String ?? "",
                            lots: p["lots"] as? Int ?? 0, entry_price: p["entry_price"] as? Double ?? 0,
                            stop_price: p["stop_price"] as? Double ?? 0, take_profit: p["take_profit"] as? Double ?? 0,
                            leverage: p["leverage"] as? Int ?? 1, unrealized_pnl: p["unrealized_pnl"] as? Double ?? 0,
                            stop_state: p["stop_state"] as? String ?? "", stop_order_id: p["stop_order_id"] as? String)
        }
        let orders = (try await bot.object("/api/v1/orders")["orders"] as? [[String: Any]] ?? []).map { o in
            Report.Order(client_order_id: o["client_order_id"] as? String ?? "", symbol: o["symbol"] as? String ?? "",
                         side: "", lots: 0, kind: o["kind"] as? String ?? "", price: o["trigger_price"] as? Double,
                         state: o["state"] as? String ?? "")
        }
        let scan = status["last_scan"] as? [String: Any]
        return Report(balance: status["balance"] as? Double ?? 0, equity: status["equity"] as? Double ?? 0,
                      realized_pnl: status["realized_pnl"] as? Double ?? 0,
                      market_time: status["time"] as? String ?? "-", positions: positions,
                      open_orders: orders.filter { $0.kind != "unknown" },
                      unknown_orders: orders.filter { $0.kind == "unknown" },
                      last_scan: scan.map {
                          Report.LastScan(sequence: $0["sequence"] as? Int ?? 0, at: $0["finished_at"] as? String ?? "",
                                          age_s: Int64($0["age_seconds"] as? Int ?? 0))
                      })
    }

    private func show(_ report: Report, source: String) throws {
        if json {
            print(try JSONText.pretty(report))
            return
        }
        print("From \(source), market time \(report.market_time)")
        print(String(format: "Balance %.2f, equity %.2f, realised PnL %+.2f", report.balance, report.equity,
                     report.realized_pnl))
        if report.positions.isEmpty {
            print("No open positions.")
        } else {
            let table = TextTable<Report.Position> {
                [Column(title: "Symbol", value: $0.symbol), Column(title: "Side", value: $0.side),
                 Column(title: "Lots", value: $0.lots, align: .right), Column(title: "Entry", value: $0.entry_price),
                 Column(title: "Stop", value: $0.stop_price), Column(title: "Stop state", value: $0.stop_state),
                 Column(title: "Target", value: $0.take_profit),
                 Column(title: "Lev", value: "\($0.leverage)x"),
                 Column(title: "uPnL", value: String(format: "%+.2f", $0.unrealized_pnl), align: .right)]
            }
            print(table.string(for: report.positions) ?? "")
        }
        print("Open orders: " + (report.open_orders.isEmpty ? "none" : report.open_orders.map {
            "\($0.client_order_id) \($0.kind) \($0.side) \($0.lots)\($0.price.map { " @ \($0)" } ?? "")"
        }.joined(separator: "; ")))
        if !report.unknown_orders.isEmpty {
            print("Outcome unknown (being looked up): " + report.unknown_orders.map(\.client_order_id).joined(separator: ", "))
        }
        if let scan = report.last_scan {
            print("Last scan: #\(scan.sequence) at \(scan.at) (\(scan.age_s) s before the market time)")
        }
    }
}

struct TradesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trades",
        abstract: "Closed trades with entry, exit, reason, fees and PnL."
    )

    @Option(help: "The journal to read; default: $KESTREL_DB, else the data directory.")
    var db: String?

    @Option(help: "Only trades closed at or after this time (ISO-8601).")
    var since: String?

    @Option(help: "The running bot's API, HOST:PORT, or off to read the journal only (default: $HTTP_ADDRESS, else 127.0.0.1:8420).")
    var api: String?

    @Flag(help: "Print CSV.")
    var csv = false

    func run() async throws {
        let (journal, path) = try DataDirectory.existingJournal(db)
        let start = try since.map { try OptionTime.parse($0, option: "--since") }
        var trades = try journal.closedTrades(since: start)
        var source = "From journal \(path)"
        if let bot = try await RunningBot.find(api: api, journal: path) {
            // The running bot's newest trades: the journal has them all unless a commit failed, which the bot
            // retries with the next step; what it has not recorded yet comes from the bot.
            let fromBot: [ClosedTrade]
            do {
                fromBot = try await Self.trades(from: bot, since: start)
            } catch {
                await bot.close()
                throw error
            }
            await bot.close()
            let recorded = trades.last?.closedAt
            let newer = fromBot.filter { recorded == nil || $0.closedAt > recorded! }
            trades += newer
            source = "From journal \(path) and the running bot (\(bot.base))"
                + (newer.isEmpty ? ", which has nothing the journal lacks" : ": \(newer.count) trade(s) not in the journal yet")
        }
        if csv {
            print("symbol,side,lots,entry_time,exit_time,entry_price,exit_price,reason,fees,funding,pnl")
            for t in trades {
                print("\(t.symbol),\(t.side.rawValue),\(t.lots),\(t.openedAt),\(t.closedAt),\(t.entryPrice),"
                    + "\(t.exitPrice),\(t.reason.rawValue),\(t.fees),\(t.funding),\(t.pnl)")
            }
            return
        }
        let table = TextTable<ClosedTrade> {
            [Column(title: "Closed", value: $0.closedAt.iso8601), Column(title: "Symbol", value: $0.symbol),
             Column(title: "Side", value: $0.side.rawValue), Column(title: "Lots", value: $0.lots, align: .right),
             Column(title: "Entry", value: $0.entryPrice), Column(title: "Exit", value: String(format: "%.6g", $0.exitPrice)),
             Column(title: "Reason", value: $0.reason.rawValue),
             Column(title: "Fees", value: String(format: "%.2f", $0.fees), align: .right),
             Column(title: "PnL", value: String(format: "%+.2f", $0.pnl), align: .right)]
        }
        print(source)
        print(table.string(for: trades) ?? "")
        print(String(format: "%d trades, total PnL %+.2f", trades.count, trades.reduce(0) { $0 + $1.pnl }))
    }

    /// The closed trades the running bot holds (its newest, at most 500), oldest first.
    static func trades(from bot: RunningBot, since: Timestamp?) async throws -> [ClosedTrade] {
        let path = "/api/v1/trades?limit=500" + (since.map { "&since=\($0.seconds - 1)" } ?? "")
        let answer = try await bot.object(path)
        guard let items = answer["trades"] as? [[String: Any]] else {
            throw RunningBotError(path: path, reason: "no trades list")
        }
        return try items.map { item in
            guard let symbol = item["symbol"] as? String,
                  let side = (item["side"] as? String).flatMap(PositionSide.init(rawValue:)),
                  let lots = item["lots"] as? Int, let entry = item["entry_price"] as? Double,
                  let exit = item["exit_price"] as? Double,
                  let opened = (item["opened_at"] as? String).flatMap(Timestamp.init(parsing:)),
                  let closed = (item["closed_at"] as? String).flatMap(Timestamp.init(parsing:)),
                  let reason = (item["reason"] as? String).flatMap(ExitReason.init(rawValue:)),
                  let pnl = item["pnl"] as? Double
            else { throw RunningBotError(path: path, reason: "a trade it could not read: \(item)") }
            return ClosedTrade(symbol: symbol, side: side, lots: lots, entryPrice: entry, exitPrice: exit,
                               openedAt: opened, closedAt: closed, reason: reason, pnl: pnl,
                               fees: item["fees"] as? Double ?? 0, funding: item["funding"] as? Double ?? 0)
        }
    }
}

import ArgumentParser
import Foundation
import KestrelCore
import KestrelStorage
import TextTable

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Balance, equity, open positions with PnL and stops, open orders, and the last scan.",
        discussion: "Reads the journal of a running or stopped bot; it never writes to it."
    )

    @Option(help: "The journal to read; default: $KESTREL_DB, else the data directory.")
    var db: String?

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
        if json {
            print(try JSONText.pretty(report))
            return
        }
        print("Journal \(path), market time \(report.market_time)")
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
            print("Last scan: #\(scan.sequence) at \(scan.at) (\(scan.age_s) s before the last saved state)")
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

    @Flag(help: "Print CSV.")
    var csv = false

    func run() async throws {
        let (journal, _) = try DataDirectory.existingJournal(db)
        let start = try since.map { try OptionTime.parse($0, option: "--since") }
        let trades = try journal.closedTrades(since: start)
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
        print(table.string(for: trades) ?? "")
        print(String(format: "%d trades, total PnL %+.2f", trades.count, trades.reduce(0) { $0 + $1.pnl }))
    }
}

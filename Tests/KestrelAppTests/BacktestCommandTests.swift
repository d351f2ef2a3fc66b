import Foundation
import KestrelCore
import KestrelMarketData
import Testing

@Suite(.serialized) struct BacktestCommandTests {
    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-\(UUID())-\(name)").path
    }

    @Test func smaCrossWritesTheReferenceTradeList() throws {
        let csv = temporary("trades.csv")
        let json = temporary("report.json")
        let output = try Kestrel.run(["backtest", "--strategy", "sma-cross", "--fast", "10", "--slow", "30", "--fee", "0",
                                      "--slippage", "0", "--set", "FUNDING_RATE=0", "--trades-csv", csv, "--json", json,
                                      "--quiet"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("PER-SYMBOL") && output.stdout.contains("EXIT REASONS"))
        for measure in ["CAGR %", "Sharpe", "Sortino", "Calmar", "Profit factor", "Expectancy", "Max drawdown",
                        "Drawdown start / end", "Best trade", "Worst day", "Max consecutive wins / losses",
                        "Market change", "Bars per second"] {
            #expect(output.stdout.contains(measure), "report lacks \(measure)")
        }
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("entry_time,exit_time,side,entry_price,exit_price,return_pct") == true)
        #expect(lines.count == 1 + 1425)
        #expect(lines[1].hasPrefix("2017-10-01T20:30:00Z,2017-10-02T15:00:00Z,long,4333.0,4429.2,"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
            as? [String: Any])
        for key in ["bars", "bars_per_second", "trade_count", "final_balance", "max_drawdown", "trades"] {
            #expect(report[key] != nil, "JSON lacks \(key)")
        }
        #expect(report["trade_count"] as? Int == 1425)
        #expect(report["bars"] as? Int == 35_019)
        #expect((report["trades"] as? [Any])?.count == 1425)
    }

    @Test func defaultStrategyRunsTheEngineAndWritesHTML() throws {
        let html = temporary("report.html")
        let json = temporary("report.json")
        let output = try Kestrel.run(["backtest", "--from", "2019-06-01T00:00:00Z", "--to", "2019-07-01T00:00:00Z",
                                      "--html", html, "--json", json, "--quiet"])
        #expect(output.status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.hasPrefix("<!doctype html>"))
        // Self-contained: the chart component inline, nothing fetched from anywhere.
        #expect(page.contains("const KestrelChart"))
        #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("url(http"))
        #expect(page.contains("Per symbol") && page.contains("Exit reasons"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
            as? [String: Any])
        // The charts' data: the equity, and each symbol's prices with an entry and an exit mark per trade.
        let start = try #require(page.range(of: "<script type=\"application/json\" id=\"report-data\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(page[start.upperBound..<end.lowerBound].utf8))
            as? [String: Any])
        #expect(((data["equity"] as? [[Double]])?.count ?? 0) > 100)
        let prices = try #require(data["prices"] as? [[String: Any]])
        #expect(prices.compactMap { $0["symbol"] as? String } == EmbeddedMarket.symbols.sorted())
        let marks = prices.reduce(0) { $0 + (($1["marks"] as? [[Double]])?.count ?? 0) }
        #expect(marks == 2 * (report["trade_count"] as? Int ?? -1))
        #expect((report["trade_count"] as? Int ?? 0) > 0)
        // Every base candle of the five series in June 2019, gaps excepted.
        let from = Timestamp(parsing: "2019-06-01T00:00:00Z")!
        let to = Timestamp(parsing: "2019-07-01T00:00:00Z")!
        let expected = try EmbeddedMarket.symbols.reduce(0) { total, symbol in
            total + (try EmbeddedMarket.candles(for: symbol)).filter { $0.time >= from && $0.time < to }.count
        }
        #expect((report["bars"] as? Int ?? 0) == expected)
        let trades = try #require(report["trades"] as? [[String: Any]])
        #expect(trades.allSatisfy { $0["reason"] is String && $0["pnl"] is Double })
    }

    @Test func sweepRanksEveryPair() throws {
        let output = try Kestrel.run(["backtest", "--strategy", "sma-cross", "--sweep", "fast=5:10:5,slow=20:30:10",
                                      "--jobs", "2", "--quiet"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("4 parameter sets x 35019 bars on 2 jobs"))
        let rows = output.stdout.split(separator: "\n").dropFirst().prefix(4)
        let profits = rows.compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first }
            .compactMap { Double($0) }
        #expect(profits.count == 4)
        #expect(profits == profits.sorted(by: >))
        let bad = try Kestrel.run(["backtest", "--strategy", "sma-cross", "--sweep", "fast=9:5"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("is not NAME=FROM:TO"))
    }

    @Test func badArgumentsAreRefused() throws {
        let strategy = try Kestrel.run(["backtest", "--strategy", "moon"])
        #expect(strategy.status != 0 && strategy.stderr.contains("--strategy must be default or sma-cross"))
        let from = try Kestrel.run(["backtest", "--from", "2030-01-01T00:00:00Z"])
        #expect(from.status != 0 && from.stderr.contains("outside the data"))
    }

    @Test func outputFilesAreCheckedFirstAndWrittenWhereTheyLead() throws {
        let sma = ["backtest", "--strategy", "sma-cross", "--quiet"]
        // A file that cannot be written is reported before the run, naming the file and why.
        let missing = "/nonexistent-\(UUID())/report.json"
        let refused = try Kestrel.run(["backtest", "--json", missing])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("\(missing): cannot write the file: no such directory"))
        #expect(!refused.stdout.contains("PER-SYMBOL"), "the backtest ran before the output was checked")
        let directory = try Kestrel.run(sma + ["--html", FileManager.default.temporaryDirectory.path])
        #expect(directory.status != 0 && directory.stderr.contains("cannot write the file: it is a directory"))
        // Through a link, the file it points to is replaced and the link stays.
        let target = temporary("target.json")
        let link = temporary("link.json")
        try "old".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(try Kestrel.run(sma + ["--json", link]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("\"trade_count\""))
        // A link to a file not made yet makes that file.
        let later = temporary("later.json")
        let dangling = temporary("dangling.json")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: later)
        #expect(try Kestrel.run(sma + ["--json", dangling]).status == 0)
        #expect(try String(contentsOfFile: later, encoding: .utf8).contains("\"trade_count\""))
        // A device is written in place, never replaced by a plain file.
        #expect(try Kestrel.run(sma + ["--json", "/dev/null"]).status == 0)
        let null = try FileManager.default.attributesOfItem(atPath: "/dev/null")
        #expect(null[.type] as? FileAttributeType == .typeCharacterSpecial)
        #expect(try Kestrel.run(sma + ["--json", ""]).stderr.contains("cannot write the file: no file name given"))
    }

    @Test func standardOutputAsAnOutputFileGetsTheTextAfterTheReport() throws {
        // Through a pipe.
        let piped = try Kestrel.run(["backtest", "--strategy", "sma-cross", "--quiet", "--json", "/dev/stdout"])
        let report = try #require(piped.stdout.range(of: "PER-SYMBOL"))
        let json = try #require(piped.stdout.range(of: "\"trade_count\""))
        #expect(piped.status == 0 && report.lowerBound < json.lowerBound)
        // Into a file the shell opened for appending: what the file held stays.
        let log = temporary("log.txt")
        try "earlier line\n".write(toFile: log, atomically: true, encoding: .utf8)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\"$0\" backtest --strategy sma-cross --quiet --json /dev/stdout >> \"$1\"",
                           Kestrel.executable.path, log]
        try shell.run()
        shell.waitUntilExit()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(shell.terminationStatus == 0)
        #expect(text.hasPrefix("earlier line\nPER-SYMBOL") && text.contains("\"trade_count\""))
    }
}

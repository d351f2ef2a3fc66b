import Foundation
import Testing

/// A fresh journal for each run, so tests never resume each other's runs.
func temporaryDatabase() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-\(UUID()).sqlite").path
}

@Suite(.serialized) struct RunCommandTests {
    @Test func paperTradesTheEmbeddedReplayAndWritesTheSummary() throws {
        let summaryPath = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-\(UUID()).json").path
        let output = try Kestrel.run(["run", "--duration", "4s", "--speed", "20000", "--summary-json", summaryPath,
                                     "--db", temporaryDatabase()])
        #expect(output.status == 0)
        // The seed's log shape: banner, background scans, processing with age, evaluations, trades, shutdown.
        for line in ["🚀 BOT STARTED SUCCESSFULLY!", "Opportunity scan interval: 60s",
                     "Position update interval: 5s (LIVE MONITORING)", "Max positions: 3", "Leverage: 12x",
                     "[Background] Found", "Processing", "opportunities from background scanner (age:",
                     "Evaluating opportunity:", "Trade executed for", "🛑 SHUTTING DOWN BOT...",
                     "BOT SHUTDOWN COMPLETE"] {
            #expect(output.stderr.contains(line), "missing log line: \(line)")
        }
        #expect(output.stdout.contains("Run summary"))
        let data = try #require(FileManager.default.contents(atPath: summaryPath))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["trades_opened", "trades_closed", "realized_pnl", "win_rate", "max_drawdown", "scans",
                    "scan_duration_ms", "opportunity_age_ms", "snapshot_age_s", "monitor_max_gap_s"] {
            #expect(summary[key] != nil, "missing \(key)")
        }
        #expect((summary["trades_opened"] as? Int ?? 0) > 0)
        #expect((summary["scans"] as? Int ?? 0) > 100)
        let age = try #require(summary["opportunity_age_ms"] as? [String: Double])
        #expect(age["p99"].map { $0 < 1000 } == true)
        #expect(Set(age.keys) == ["p50", "p99", "max"])
        #expect((summary["scan_duration_ms"] as? [String: Double]).map { Set($0.keys) } == ["p50", "p99"])
        #expect((summary["snapshot_age_s"] as? [String: Double]).map { Set($0.keys) } == ["p50", "max"])
    }

    @Test func badSettingsStopStartUpNamingTheSetting() throws {
        let leverage = try Kestrel.run(["run", "--duration", "1s", "--set", "LEVERAGE=500"])
        #expect(leverage.status != 0)
        #expect(leverage.stderr.contains("invalid setting LEVERAGE=500: allowed values are 1 to 125"))
        let text = try Kestrel.run(["run", "--duration", "1s", "--check-interval", "soon"])
        #expect(text.stderr.contains("invalid setting CHECK_INTERVAL=soon"))
        let unknown = try Kestrel.run(["run", "--duration", "1s", "--set", "NOPE=1"])
        #expect(unknown.status != 0)
        let envFile = try Kestrel.temporaryFile(".env", "POSITION_UPDATE_INTERVAL=-5\nKUCOIN_API_KEY=hunter2\n")
        let negative = try Kestrel.run(["run", "--duration", "1s", "--env-file", envFile])
        #expect(negative.status != 0)
        #expect(negative.stderr.contains("invalid setting POSITION_UPDATE_INTERVAL=-5"))
        #expect(!negative.stderr.contains("hunter2") && !negative.stdout.contains("hunter2"))
        // The API and the alerts: an open address without a token, half a Telegram setting, a webhook that is no URL.
        let open = try Kestrel.run(["run", "--duration", "1s", "--http", "0.0.0.0:8420"])
        #expect(open.status != 0 && open.stderr.contains("invalid setting HTTP_ADDRESS=0.0.0.0:8420"))
        let telegram = try Kestrel.run(["run", "--duration", "1s", "--set", "TELEGRAM_BOT_TOKEN=123:hunter3"])
        #expect(telegram.status != 0 && telegram.stderr.contains("TELEGRAM_CHAT_ID"))
        #expect(!telegram.stderr.contains("hunter3"))
        let webhook = try Kestrel.run(["run", "--duration", "1s", "--set", "ALERT_WEBHOOK_URL=hooks.example/hunter4"])
        #expect(webhook.status != 0 && webhook.stderr.contains("invalid setting ALERT_WEBHOOK_URL=<hidden>"))
        #expect(!webhook.stderr.contains("hunter4"))
    }

    @Test func secretsNeverReachTheOutput() throws {
        let envFile = try Kestrel.temporaryFile(".env", "KUCOIN_API_KEY=hunter2\nKUCOIN_API_SECRET=sesame\nKUCOIN_API_PASSPHRASE=open\nCHECK_INTERVAL=30\n")
        let config = try Kestrel.run(["config", "--env-file", envFile])
        #expect(config.status == 0)
        #expect(config.stdout.contains("<set, hidden>"))
        #expect(!config.stdout.contains("hunter2") && !config.stdout.contains("sesame"))
        let run = try Kestrel.run(["run", "--duration", "1s", "--env-file", envFile, "--log-level", "trace",
                                   "--db", temporaryDatabase()])
        #expect(run.status == 0)
        #expect(run.stderr.contains("Opportunity scan interval: 30s"))
        #expect(run.stderr.contains("API keys: set (not shown)"))
        #expect(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2") && !run.stderr.contains("sesame"))
    }

    @Test func interruptShutsDownGracefullyAndQuickly() throws {
        let process = Process()
        process.executableURL = Kestrel.executable
        // With the API on a port of its own: it must not hold up the shutdown either.
        process.arguments = ["run", "--db", temporaryDatabase(), "--http", "127.0.0.1:0"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        Thread.sleep(forTimeInterval: 3)
        let interrupted = Date()
        process.interrupt()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let elapsed = Date().timeIntervalSince(interrupted)
        #expect(process.terminationStatus == 0)
        #expect(elapsed < 5)
        #expect(stderr.contains("SIGINT received: shutting down"))
        #expect(stderr.contains("✅ Background scanner stopped"))
        #expect(stderr.contains("BOT SHUTDOWN COMPLETE"))
        #expect(String(decoding: stdout, as: UTF8.self).contains("Run summary"))
    }
}

@Suite(.serialized) struct StatusCommandTests {
    @Test func statusAndTradesReadTheJournal() throws {
        let db = temporaryDatabase()
        let run = try Kestrel.run(["run", "--duration", "4s", "--speed", "20000", "--db", db])
        #expect(run.status == 0)
        let status = try Kestrel.run(["status", "--db", db, "--json"])
        #expect(status.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(report["balance"] is Double && report["equity"] is Double)
        let positions = try #require(report["positions"] as? [[String: Any]])
        for position in positions {
            for key in ["symbol", "side", "lots", "entry_price", "stop_price", "unrealized_pnl"] {
                #expect(position[key] != nil, "position lacks \(key)")
            }
        }
        let orders = try #require(report["open_orders"] as? [[String: Any]])
        #expect(orders.allSatisfy { $0["client_order_id"] is String })
        // Every open position is protected by an open stop order.
        #expect(orders.count >= positions.count)
        let lastScan = try #require(report["last_scan"] as? [String: Any])
        #expect(lastScan["at"] is String && lastScan["age_s"] != nil)

        let trades = try Kestrel.run(["trades", "--db", db, "--csv"])
        #expect(trades.status == 0)
        let lines = trades.stdout.split(separator: "\n")
        #expect(lines.first == "symbol,side,lots,entry_time,exit_time,entry_price,exit_price,reason,fees,funding,pnl")
        #expect(lines.count > 1)
        // A second run resumes where the first stopped.
        let second = try Kestrel.run(["run", "--duration", "1s", "--speed", "20000", "--db", db])
        #expect(second.status == 0)
        #expect(second.stderr.contains("Resuming the run in \(db)"))
    }

    @Test func badJournalsAreRefusedNotReset() throws {
        let path = temporaryDatabase()
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: path))
        let run = try Kestrel.run(["run", "--duration", "1s", "--db", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("is not a SQLite database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 7, count: 4096))
        let status = try Kestrel.run(["status", "--db", "/nonexistent/kestrel.sqlite"])
        #expect(status.status != 0)
        #expect(status.stderr.contains("no journal at /nonexistent/kestrel.sqlite"))
    }
}

import Foundation
import Testing

/// Runs the built `kestrel` executable the way a user does and checks what it prints and how it exits.
struct Kestrel {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let executable: URL = {
        // The test bundle sits beside the products of the same build.
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleDirectory.appendingPathComponent("kestrel"),
                          bundleDirectory.deletingLastPathComponent().appendingPathComponent("kestrel")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    /// Runs kestrel with `arguments`, and `environment` added to this process's.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // Runs in parallel would all ask for the API's default port: off unless a test asks for it.
        process.environment = ProcessInfo.processInfo.environment.merging(["HTTP_ADDRESS": "off"]) { _, off in off }
            .merging(environment) { _, added in added }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `run(_:)` on a thread of its own: an async test that waits for a process this way leaves Swift's cooperative
    /// pool (two threads on a 2-core machine) to the code under test, which a blocking wait would hold up.
    static func runOnThread(_ arguments: [String], environment: [String: String] = [:]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(arguments, environment: environment) })
            }.start()
        }
    }

    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-tests-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

@Suite(.serialized) struct CommandLineTests {
    @Test func everyCommandHasHelp() throws {
        for command in [[], ["scan"], ["indicators"], ["data"], ["data", "validate"], ["data", "list"], ["bench"]] {
            let output = try Kestrel.run(command + ["--help"])
            #expect(output.status == 0, "\(command)")
            #expect(output.stdout.contains("USAGE"), "\(command)")
        }
    }

    @Test func validateSummarisesGoodData() throws {
        let path = try Kestrel.temporaryFile("good.csv", """
            time,open,high,low,close,volume
            2019-01-01T00:00:00Z,100,110,95,105,10
            2019-01-01T00:30:00Z,105,106,100,101,0
            2019-01-01T02:00:00Z,101,103,99,102,3.5
            """)
        let output = try Kestrel.run(["data", "validate", path])
        #expect(output.status == 0)
        #expect(output.stdout.contains("OK"))
        #expect(output.stdout.contains("rows:      3"))
        #expect(output.stdout.contains("timeframe: 30m"))
        #expect(output.stdout.contains("gaps:      1 (2 missing candles"))
    }

    @Test func validateNamesEveryBadLineAndFails() throws {
        let path = try Kestrel.temporaryFile("bad.csv", """
            time,open,high,low,close,volume
            2019-01-01T00:00:00Z,100,110,95,105,10
            2019-01-01T00:30:00Z,105,abc,100,101,1
            2019-01-01T00:30:00Z,105,106,100,101,-1
            """)
        let output = try Kestrel.run(["data", "validate", path])
        #expect(output.status == 1)
        #expect(output.stderr.contains("bad.csv:3: high: not a number: 'abc' is not a number"))
        #expect(output.stderr.contains("bad.csv:4: volume: negative volume"))
        let missing = try Kestrel.run(["data", "validate", "/nonexistent/file.csv"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/file.csv: cannot read: no such file"))
    }

    @Test func indicatorsPrintsTheTALibColumns() throws {
        let output = try Kestrel.run(["indicators", "--data", "BTCUSD"])
        #expect(output.status == 0)
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 35_020)
        #expect(lines[0].hasPrefix(
            "time,sma20,sma50,ema12,ema26,macd,macd_signal,macd_hist,rsi14,stoch_k,stoch_d,bb_upper,bb_middle,bb_lower,atr14,roc10,volume_sma20"))
        #expect(lines[1].hasPrefix("2017-10-01T00:00:00Z,,,"))
        let last = lines[lines.count - 1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(last.count == 23)
        #expect(last.allSatisfy { !$0.isEmpty })
    }

    @Test func indicatorsReadJSONAndResample() throws {
        var rows = [String]()
        for i in 0..<200 {
            let price = 100 + Double(i % 17)
            rows.append("[\(1_546_300_800_000 + Int64(i) * 1_800_000), \(price), \(price + 2), \(price - 1), \(price + 1), 5]")
        }
        let path = try Kestrel.temporaryFile("prices.json", "[" + rows.joined(separator: ",\n") + "]")
        let output = try Kestrel.run(["indicators", "--data", path, "--timeframe", "1h"])
        #expect(output.status == 0)
        #expect(output.stdout.split(separator: "\n").count == 101)
        let bad = try Kestrel.run(["indicators", "--data", path, "--timeframe", "45m"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("45m cannot be built from 30m candles"))
    }

    @Test func scanPrintsJSONWithTheDocumentedKeys() throws {
        let output = try Kestrel.run(["scan", "--json", "--top", "3", "--at", "2019-06-26T09:30:00Z"])
        #expect(output.status == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        #expect(array.count <= 3)
        for item in array {
            for key in ["symbol", "signal", "confidence", "score", "price", "reasons"] {
                #expect(item[key] != nil, "missing \(key)")
            }
            #expect(["BUY", "SELL"].contains(item["signal"] as? String ?? ""))
        }
        let scores = array.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted(by: >))
    }

    @Test func scanPrintsATable() throws {
        let output = try Kestrel.run(["scan", "--all"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("Scanned 5 of 5 symbols as of 2019-10-01T00:30:00Z"))
        #expect(output.stdout.contains("Every symbol:"))
    }

    @Test func scanRejectsBadArguments() throws {
        let garbage = try Kestrel.run(["scan", "--at", "yesterday"])
        #expect(garbage.status != 0)
        #expect(garbage.stderr.contains("--at 'yesterday' is not an ISO-8601 time"))
        let outside = try Kestrel.run(["scan", "--at", "2030-01-01T00:00:00Z"])
        #expect(outside.status != 0)
        #expect(outside.stderr.contains("outside the data"))
        let top = try Kestrel.run(["scan", "--top", "0"])
        #expect(top.status != 0)
    }

    @Test func scanReadsADirectoryOfUserFiles() throws {
        let csv = try Kestrel.run(["indicators", "--data", "ETHUSD"])
        #expect(csv.status == 0)
        // A directory with one good series and one bad one: the bad one stops the scan with its line.
        let good = try Kestrel.temporaryFile("AAAUSDT_30m.csv", Self.series(count: 24 * 2 * 60))
        let directory = (good as NSString).deletingLastPathComponent
        let result = try Kestrel.run(["scan", "--data", directory, "--all"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("AAAUSDT"))
        try "time,open,high,low,close,volume\n2019-01-01T00:00:00Z,1,0.5,1,1,1\n"
            .write(toFile: directory + "/BBB_30m.csv", atomically: true, encoding: .utf8)
        let broken = try Kestrel.run(["scan", "--data", directory])
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("BBB_30m.csv:2: high"))
    }

    static func series(count: Int) -> String {
        var text = "time,open,high,low,close,volume\n"
        var price = 100.0
        for i in 0..<count {
            let open = price
            price *= 1 + 0.01 * sin(Double(i) / 7)
            text += "\(1_546_300_800 + i * 1800),\(open),\(max(open, price) * 1.002),\(min(open, price) * 0.998),\(price),\(1000 + i % 50)\n"
        }
        return text
    }

    @Test func benchPrintsNumbers() throws {
        let output = try Kestrel.run(["bench", "--repetitions", "1", "--symbols", "10", "--loop-days", "1",
                                      "--backtest-days", "20", "--kucoin-symbols", "12",
                                      "--kucoin-memory-symbols", "8", "--kucoin-push-minutes", "1", "--json"])
        #expect(output.status == 0)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let measurements = try #require(parsed["measurements"] as? [[String: Any]])
        #expect(measurements.count == 24)
        // The KuCoin measurements, streamed from the fake on loopback: no request per scan, a reconnect measured.
        let kucoin = measurements.filter { ($0["name"] as? String)?.hasPrefix("KuCoin") == true }
        #expect(kucoin.count == 12)
        // Trading on the fake account: entries timed to the venue, and three trailing stops well within the budget.
        let path = kucoin.first { ($0["name"] as? String)?.hasPrefix("KuCoin order path") == true }
        #expect(path?["median"] as? Double ?? 0 > 0)
        let weight = kucoin.first { ($0["name"] as? String)?.contains("request weight per hour") == true }
        #expect((1..<24_000).contains(weight?["median"] as? Double ?? 0), "\(String(describing: weight))")
        #expect(kucoin.first { ($0["name"] as? String)?.contains("requests per scan") == true }?["median"] as? Double
            == 0)
        #expect(kucoin.first { ($0["name"] as? String)?.contains("p99") == true }?["note"] as? String ?? ""
            != "")
        #expect(measurements.contains { ($0["name"] as? String)?.hasPrefix("volume profile") == true })
        let backtests = measurements.filter { ($0["name"] as? String)?.hasPrefix("backtest") == true }
        #expect(backtests.count == 2 && backtests.allSatisfy { $0["unit"] as? String == "k bars/s" })
        #expect(measurements.filter { ($0["name"] as? String)?.contains("requests per scan") == false }
            .allSatisfy { ($0["median"] as? Double ?? 0) > 0 })
        #expect(parsed["peak_memory_mb"] as? Double ?? 0 > 0)
        let loops = try #require(parsed["loops"] as? [[String: Any]])
        #expect(loops.count == 6)
        #expect(loops.allSatisfy { ($0["opportunities"] as? Int ?? 0) > 0 })
    }
}

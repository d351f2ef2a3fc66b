import AsyncHTTPClient
import Foundation
import KestrelStorage
import NIOCore
import NIOHTTP1
import Testing

/// `kestrel run` with its API on a free port of 127.0.0.1, used as a person uses it: the status read, entries paused
/// with the token (and refused without), the command journaled, and the pause kept across a restart.
@Suite(.serialized) struct APIRunTests {
    static let token = "a-token-of-twenty-four-ch"

    /// The port the run's log says its API listens on.
    static func port(in log: String) -> Int? {
        guard let range = log.range(of: "API on http://127.0.0.1:") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func theAPIReadsTheRunAndItsControlsPauseEntriesWithTheToken() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-api-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("run.sqlite").path
        let log = directory.appendingPathComponent("stderr").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let envFile = directory.appendingPathComponent(".env").path
        try "MAX_OPEN_POSITIONS=3\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Kestrel.executable
        process.arguments = ["run", "--db", db, "--http", "127.0.0.1:0", "--speed", "600", "--env-file", envFile]
        process.environment = ProcessInfo.processInfo.environment.merging(["API_TOKEN": Self.token]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var stderr: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        var port: Int?
        for _ in 0..<600 where port == nil {
            port = Self.port(in: stderr)
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let bound = try #require(port, "no API line in: \(stderr.suffix(2_000))")

        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        func send(_ method: HTTPMethod, _ path: String, token: String? = nil) async throws -> (Int, [String: Any]) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(bound)\(path)")
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 22)
            return (Int(response.status.code),
                    (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:])
        }
        do {
            let (code, status) = try await send(.GET, "/api/v1/status")
            #expect(code == 200)
            #expect(status["mode"] as? String == "paper" && status["paused"] as? Bool == false)
            #expect(try await send(.POST, "/api/v1/pause").0 == 401)
            let (paused, answer) = try await send(.POST, "/api/v1/pause", token: Self.token)
            #expect(paused == 200 && answer["applied"] as? Bool == true, "\(answer)")
            #expect(try await send(.GET, "/api/v1/status").1["paused"] as? Bool == true)
            // The scanner's snapshot shows up once a scan has run.
            var sequence: Int?
            for _ in 0..<200 where sequence == nil {
                sequence = try await send(.GET, "/api/v1/opportunities").1["sequence"] as? Int
                if sequence == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(sequence != nil)
            #expect(try await send(.GET, "/api/v1/config").0 == 200)
            let chart = try await send(.GET, "/api/v1/candles?symbol=BTCUSD&timeframe=1h&limit=10")
            #expect(chart.0 == 200 && (chart.1["candles"] as? [[String: Any]])?.count == 10, "\(chart.1)")
            // `kestrel status` asks the running bot when its API answers for this journal, and reads the journal
            // when told not to.
            let live = try await Kestrel.runOnThread(["status", "--db", db, "--api", "127.0.0.1:\(bound)"])
            #expect(live.status == 0 && live.stdout.contains("From the running bot (http://127.0.0.1:\(bound))"),
                    "\(live.stdout)\(live.stderr)")
            let saved = try await Kestrel.runOnThread(["status", "--db", db, "--api", "off"])
            #expect(saved.stdout.contains("From journal \(db)"), "\(saved.stdout)\(saved.stderr)")
            // A bot on another journal is not asked about this one.
            let copy = db + "-copy.sqlite"
            // With its write-ahead log: the saved state may still be in it.
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: db + suffix) {
                try FileManager.default.copyItem(atPath: db + suffix, toPath: copy + suffix)
            }
            let other = try await Kestrel.runOnThread(["status", "--db", copy, "--api", "127.0.0.1:\(bound)"])
            #expect(other.stdout.contains("From journal \(copy)"), "\(other.stdout)\(other.stderr)")
            // `kestrel trades` too.
            let trades = try await Kestrel.runOnThread(["trades", "--db", db, "--api", "127.0.0.1:\(bound)"])
            #expect(trades.status == 0 && trades.stdout.contains("and the running bot (http://127.0.0.1:\(bound))"),
                    "\(trades.stdout)\(trades.stderr)")
            let journalOnly = try await Kestrel.runOnThread(["trades", "--db", db, "--api", "off"])
            #expect(journalOnly.stdout.hasPrefix("From journal \(db)\n"), "\(journalOnly.stdout)")

            // A reload reads the .env file again: a risk limit applies at once, the scan interval after a restart.
            try "MAX_OPEN_POSITIONS=2\nCHECK_INTERVAL=120\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            #expect(try await send(.POST, "/api/v1/reload").0 == 401)
            let (reloaded, outcome) = try await send(.POST, "/api/v1/reload", token: Self.token)
            #expect(reloaded == 200 && outcome["applied"] as? Bool == true)
            #expect(outcome["message"] as? String
                == "applied MAX_OPEN_POSITIONS 3 → 2; after a restart: CHECK_INTERVAL default: 60 → 120", "\(outcome)")
            let config = try await send(.GET, "/api/v1/config").1["settings"] as? [[String: Any]] ?? []
            let shown = Dictionary(config.compactMap { item in
                (item["name"] as? String).map { ($0, item["value"] as? String ?? "") } }, uniquingKeysWith: { a, _ in a })
            #expect(shown["MAX_OPEN_POSITIONS"] == "2" && shown["CHECK_INTERVAL"] == "default: 60", "\(shown)")
            // A file that no longer reads leaves everything as it was, and says why.
            try "MAX_OPEN_POSITIONS=lots\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            let (_, refused) = try await send(.POST, "/api/v1/reload", token: Self.token)
            #expect(refused["applied"] as? Bool == false)
            #expect((refused["message"] as? String)?.contains("MAX_OPEN_POSITIONS") == true, "\(refused)")
            // Prometheus' text: the run's equity and its scans so far.
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(bound)/metrics")
            request.method = .GET
            let metrics = try await client.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await metrics.body.collect(upTo: 1 << 22))
            #expect(text.contains("kestrel_equity ") && text.contains("kestrel_entries_paused 1"), "\(text.prefix(2_000))")
            #expect(text.contains("kestrel_scan_duration_seconds_count"))
        } catch {
            try await client.shutdown()
            throw error
        }
        // A watcher of the event stream, open while the bot stops: the stream ends, and does not hold the bot up.
        let watching = Task {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(bound)/api/v1/events"),
                                                    timeout: .seconds(60))
            var text = ""
            for try await chunk in response.body { text += String(buffer: chunk) }
            return text
        }
        try await Task.sleep(for: .milliseconds(300))
        process.interrupt()
        // Polled, not waited for: a blocked thread would be one of the pool's two that the other tests share.
        for _ in 0..<400 where process.isRunning { try await Task.sleep(for: .milliseconds(25)) }
        #expect(!process.isRunning)
        let streamed = try await watching.value
        #expect(streamed.contains("event: status"), "\(streamed.prefix(500))")
        try await client.shutdown()
        #expect(process.terminationStatus == 0, "\(stderr.suffix(2_000))")
        #expect(stderr.contains("pause from api 127.0.0.1"))

        let controls = try SQLiteJournal(path: db).controls()
        #expect(controls.map(\.record.action) == ["pause", "reload", "reload"])
        #expect(controls.first?.record.source == "api 127.0.0.1")
        #expect(!stderr.contains(Self.token))

        // The pause is part of the run's state: a restart keeps it.
        let resumed = try await Kestrel.runOnThread(["run", "--db", db, "--duration", "2s", "--env-file", envFile,
                                                     "--set", "MAX_OPEN_POSITIONS=2", "--http", "off"])
        #expect(resumed.status == 0, "\(resumed.stderr.suffix(2_000))")
        #expect(resumed.stderr.contains("New entries are paused"))
    }
}

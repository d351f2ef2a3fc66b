import Foundation
import KestrelCore

/// Files the tests compare against: the reference values in the steering repository's `shared/data`, which sits
/// beside this checkout on developers' machines and in CI.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var sharedData: URL { packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data") }

    static func sharedFile(_ relative: String) throws -> [UInt8] {
        let url = sharedData.appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DataFileUnreadable(file: url.path, reason: "reference file missing (expected ../shared/data beside the checkout)")
        }
        return [UInt8](data)
    }

    /// Parses a simple numeric CSV with a header into columns by name; empty cells are NaN.
    static func referenceColumns(_ bytes: [UInt8]) -> (header: [String], times: [String], columns: [String: [Double]]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var columns = [String: [Double]]()
        var times = [String]()
        for name in header.dropFirst() { columns[name] = [] }
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            times.append(String(cells[0]))
            for (index, name) in header.enumerated().dropFirst() {
                let cell = index < cells.count ? cells[index] : ""
                columns[name]!.append(cell.isEmpty ? .nan : Double(cell) ?? .nan)
            }
        }
        return (header, times, columns)
    }

    static func candles(_ csv: String, file: String = "test.csv") throws -> [Candle] {
        try CandleFileParser(fileName: file).load(Array(csv.utf8))
    }
}

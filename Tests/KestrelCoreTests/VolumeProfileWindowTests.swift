@testable import KestrelCore
import Testing

struct VolumeProfileWindowTests {
    /// The window keeps each close's bin and works the bins out again only when the range moves: after every bar
    /// its profile must be the one worked out from the last closes themselves, through extremes leaving, equal
    /// closes, a flat stretch longer than the window, and a return to the very range binned before it.
    @Test func theProfileWindowMatchesTheProfileOfItsBarsAfterEveryBar() {
        var closes = randomCandles(120, seed: 9).map(\.close)
        closes += Array(repeating: 100, count: 60)            // flat for longer than the window: no profile
        closes += closes[60..<120]                            // the same moves again, so the same ranges return
        closes += (0..<80).map { 100 + Double($0 % 7) }       // few distinct closes: extremes tie and leave together
        let volumes = closes.indices.map { Double(($0 * 37) % 101) + 0.25 }
        // And a window that keeps no bins (a confirming timeframe's), which works its profile out when asked.
        var window = VolumeProfileWindow(capacity: 50)
        var plain = VolumeProfileWindow(capacity: 50, keepsBins: false)
        var mismatches = [Int]()
        for index in closes.indices {
            window.push(close: closes[index], volume: volumes[index])
            plain.push(close: closes[index], volume: volumes[index])
            let start = max(0, index - 49)
            let expected = VolumeProfile(closes: closes[start...index], volumes: volumes[start...index],
                                         close: closes[index])
            if window.profile != expected || plain.profile != expected { mismatches.append(index) }
        }
        #expect(mismatches.isEmpty)
        // A flat window has no range to bin, and says so as the batch does. Here the range that follows it is the
        // one binned before it, to the last bit: the bars of the flat stretch must still be binned.
        let small = [2.0, 1, 5, 5, 5, 5, 5, 1, 3, 5]
        var flat = VolumeProfileWindow(capacity: 5)
        for index in small.indices {
            flat.push(close: small[index], volume: Double(index + 1))
            let start = max(0, index - 4)
            let expected = VolumeProfile(closes: Array(small[start...index]), volumes: (start...index).map { Double($0 + 1) },
                                         close: small[index])
            #expect(flat.profile == expected, "after bar \(index)")
            if index == 6 { #expect(flat.profile == nil) }
        }
    }
}

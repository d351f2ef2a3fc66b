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
        // And a window that keeps no bins (as every window starts), which works its profile out when asked, and one
        // that starts keeping them part of the way through.
        var window = VolumeProfileWindow(capacity: 50)
        window.keepBins()
        var plain = VolumeProfileWindow(capacity: 50)
        var late = VolumeProfileWindow(capacity: 50), later = VolumeProfileWindow(capacity: 50)
        var mismatches = [Int]()
        for index in closes.indices {
            window.push(close: closes[index], volume: volumes[index])
            plain.push(close: closes[index], volume: volumes[index])
            late.push(close: closes[index], volume: volumes[index])
            later.push(close: closes[index], volume: volumes[index])
            if index == 77 { late.keepBins() }  // mid-walk
            if index == 150 { later.keepBins() }  // in the flat stretch
            let start = max(0, index - 49)
            let expected = VolumeProfile(closes: closes[start...index], volumes: volumes[start...index],
                                         close: closes[index])
            if [window, plain, late, later].contains(where: { $0.profile != expected }) {
                mismatches.append(index)
            }
        }
        #expect(mismatches.isEmpty)
        // A flat window has no range to bin, and says so as the batch does. Here the range that follows it is the
        // one binned before it, to the last bit: the bars of the flat stretch must still be binned.
        let small = [2.0, 1, 5, 5, 5, 5, 5, 1, 3, 5]
        var flat = VolumeProfileWindow(capacity: 5)
        flat.keepBins()
        for index in small.indices {
            flat.push(close: small[index], volume: Double(index + 1))
            let start = max(0, index - 4)
            let expected = VolumeProfile(closes: Array(small[start...index]), volumes: (start...index).map { Double($0 + 1) },
                                         close: small[index])
            #expect(flat.profile == expected, "after bar \(index)")
            if index == 6 { #expect(flat.profile == nil) }
        }
    }

    /// The levels from a histogram, as the definition reads: the busiest bin (the first of equals) and the three
    /// strongest local maxima (of equals, the lower bin first), their centers in price order, none at the close.
    static func plainLevels(_ histogram: [Double], low: Double, width: Double, close: Double)
        -> (pointOfControl: Double, supports: [Double], resistances: [Double]) {
        let busiest = histogram.indices.max { histogram[$0] < histogram[$1] || (histogram[$0] == histogram[$1] && $0 > $1) }!
        let peaks = (1..<(histogram.count - 1)).filter { histogram[$0] > histogram[$0 - 1] && histogram[$0] > histogram[$0 + 1] }
        let strongest = peaks.sorted { (histogram[$0], -$0) > (histogram[$1], -$1) }.prefix(3)
        func center(_ index: Int) -> Double { low + (Double(index) + 0.5) * width }
        let levels = Set(strongest + [busiest]).sorted().map(center).filter { $0 != close }
        return (center(busiest), levels.filter { $0 < close }.reversed(), levels.filter { $0 > close })
    }

    @Test func levelsAreTheBusiestBinAndTheStrongestPeaks() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2_000 {
            // Few distinct volumes, so that ties between bins and between peaks are common.
            var histogram = (0..<19).map { _ in Double(Int.random(in: 0...6, using: &generator)) }
            if round % 3 == 0 { histogram = histogram.map { $0 * 1.37 + Double.random(in: 0...0.01, using: &generator) } }
            let close = 100 + Double(Int.random(in: 0...19, using: &generator)) * 0.5 + 0.25
            let profile = histogram.withUnsafeBufferPointer {
                VolumeProfile(histogram: $0, low: 100, width: 0.5, close: close)
            }
            let expected = Self.plainLevels(histogram, low: 100, width: 0.5, close: close)
            #expect(profile.pointOfControl == expected.pointOfControl)
            #expect(profile.supports == expected.supports && profile.resistances == expected.resistances,
                    "histogram \(histogram), close \(close)")
        }
    }
}

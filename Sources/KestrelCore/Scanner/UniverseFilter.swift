/// Chooses which instruments are worth scanning: the original's 24 h quote-volume filter.
///
/// Keeps active instruments with at least `minimumQuoteVolume` of 24 h volume, and the majors whatever their volume.
/// If fewer than `minimumUniverse` remain, it relaxes to `relaxedQuoteVolume`, then drops the volume filter.
public struct UniverseFilter: Sendable, Equatable {
    public var minimumQuoteVolume: Double
    public var relaxedQuoteVolume: Double
    public var minimumUniverse: Int
    public var majors: Set<String>

    public static let originalMajors: Set<String> = ["BTC", "XBT", "ETH", "SOL", "BNB", "ADA", "XRP", "DOGE", "MATIC",
                                                     "AVAX", "DOT"]

    public init(minimumQuoteVolume: Double = 1_000_000, relaxedQuoteVolume: Double = 500_000, minimumUniverse: Int = 5,
                majors: Set<String> = UniverseFilter.originalMajors) {
        self.minimumQuoteVolume = minimumQuoteVolume
        self.relaxedQuoteVolume = relaxedQuoteVolume
        self.minimumUniverse = minimumUniverse
        self.majors = majors
    }

    public func select(_ instruments: [Instrument]) -> [Instrument] {
        zip(instruments, keeps(instruments)).compactMap { $1 ? $0 : nil }
    }

    /// Which of `instruments` `select` keeps, in their order.
    public func keeps(_ instruments: [Instrument]) -> [Bool] {
        keeps(instruments, isMajor: isMajor(instruments))
    }

    /// Whether each of `instruments` is a major: fixed for a listing, so a caller asking at every scan (a backtest)
    /// works it out once.
    public func isMajor(_ instruments: [Instrument]) -> [Bool] {
        instruments.map { majors.contains($0.base.upperCasedAssetName) }
    }

    /// `keeps(_:)` with `isMajor(instruments)` worked out already.
    public func keeps(_ instruments: [Instrument], isMajor: [Bool]) -> [Bool] {
        var kept = [Bool]()
        keeps(instruments, isMajor: isMajor, into: &kept)
        return kept
    }

    /// `keeps(_:isMajor:)` written over `kept`, whose storage a caller asking at every scan (a backtest) keeps.
    public func keeps(_ instruments: [Instrument], isMajor: [Bool], into kept: inout [Bool]) {
        precondition(isMajor.count == instruments.count, "one major flag per instrument")
        func passes(_ index: Int, _ threshold: Double) -> Bool {
            instruments[index].isActive && (instruments[index].quoteVolume24h >= threshold || isMajor[index])
        }
        // Counted first, then written once.
        var threshold: Double?
        if instruments.indices.count(where: { passes($0, minimumQuoteVolume) }) >= minimumUniverse {
            threshold = minimumQuoteVolume
        } else if instruments.indices.count(where: { passes($0, relaxedQuoteVolume) }) >= minimumUniverse {
            threshold = relaxedQuoteVolume
        }
        kept.removeAll(keepingCapacity: true)
        for index in instruments.indices {
            kept.append(threshold.map { passes(index, $0) } ?? instruments[index].isActive)
        }
    }
}

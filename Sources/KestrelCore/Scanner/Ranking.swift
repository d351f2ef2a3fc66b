/// How a scan orders its opportunities: the same in a live scan and a backtest's, so a ranking is reproducible.
extension Opportunity {
    /// Whether `a` ranks before `b`: the better score, then the higher confidence, then the symbol first in order.
    public static func ranksBefore(_ a: Opportunity, _ b: Opportunity) -> Bool {
        (a.score, a.confidence, b.symbol) > (b.score, b.confidence, a.symbol)
    }

    /// `rank(_:top:)` where the opportunities lie: sorted in place (stably, as `rank` sorts) and cut to the `top`.
    /// A backtest ranks at every scan into an array it keeps, and so copies and allocates nothing.
    public static func rank(_ opportunities: inout [Opportunity], top: Int) {
        opportunities.sort(by: ranksBefore)
        if opportunities.count > max(0, top) { opportunities.removeSubrange(max(0, top)...) }
    }

    /// Best score first; ties broken by confidence, then symbol, so a ranking is reproducible.
    public static func rank(_ opportunities: [Opportunity], top: Int) -> [Opportunity] {
        let before = ranksBefore
        let top = max(0, top)
        guard top > 0 else { return [] }
        // The best `top` picked by position, and only they copied, once: an opportunity is some 400 bytes, and a
        // live market's scan has hundreds of candidates (sorting them all moved each one several times, a fifth of
        // such a scan). A candidate goes after every one it does not rank before, so equals keep their order, as a
        // stable sort would.
        var best = [Int]()
        best.reserveCapacity(top + 1)
        for index in opportunities.indices {
            var position = best.count
            while position > 0, before(opportunities[index], opportunities[best[position - 1]]) { position -= 1 }
            guard position < top else { continue }
            best.insert(index, at: position)
            if best.count > top { best.removeLast() }
        }
        return best.map { opportunities[$0] }
    }
}

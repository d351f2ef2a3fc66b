/// The latest price of every symbol the engine has heard of and, for each symbol with a position, what equity needs
/// of it. Kept by slot (a symbol's index, given on first sight and never reused), so a price costs the engine one
/// lookup in `SymbolSlots` and equity is a walk over a short array.
struct PriceMarks: Sendable {
    /// What equity needs of an open position: side, size in the base asset, entry and latest price.
    struct Valuation: Sendable {
        var sign: Double
        var quantity: Double
        var entry: Double
        var price: Double
        var leverage: Double

        var unrealizedPnL: Double { sign * (price - entry) * quantity }
    }

    private var slots = SymbolSlots()
    private var prices: [Double?] = []
    private var valuations: [Valuation?] = []
    /// Where each symbol's position was last found in the engine's book: a guess, checked before use. A price finds
    /// its position with one comparison instead of comparing symbols down the book.
    private var positionHints: [Int] = []
    /// Moves on with every change to a valuation: equity stays the same as long as this and cash do.
    private(set) var valuationVersion = 0

    init(symbols: [String]) {
        for symbol in symbols { _ = slot(symbol) }
    }

    /// The slot of `symbol`, made on first sight.
    mutating func slot(_ symbol: String) -> Int {
        if let slot = slots.slot(of: symbol) { return slot }
        prices.append(nil)
        valuations.append(nil)
        positionHints.append(0)
        return slots.slot(adding: symbol)
    }

    func price(_ symbol: String) -> Double? { slots.slot(of: symbol).flatMap { prices[$0] } }

    func price(at slot: Int) -> Double? { prices[slot] }

    func symbol(at slot: Int) -> String { slots.symbols[slot] }

    /// The index of the position on the symbol in `slot` in `book`, if it has one.
    mutating func positionIndex(at slot: Int, in book: PositionBook) -> Int? {
        let hint = positionHints[slot]
        let symbol = slots.symbols[slot]
        if hint < book.count, book.values[hint].symbol == symbol { return hint }
        guard let index = book.index(forKey: symbol) else { return nil }
        positionHints[slot] = index
        return index
    }

    var count: Int { slots.count }

    /// Records a price; true when the symbol has a position (its valuation moved too).
    mutating func record(_ price: Double, for symbol: String) -> Bool { record(price, at: slot(symbol)) }

    mutating func record(_ price: Double, at slot: Int) -> Bool {
        prices[slot] = price
        guard valuations[slot] != nil else { return false }
        valuations[slot]!.price = price
        valuationVersion &+= 1
        return true
    }

    mutating func setValuation(_ valuation: Valuation?, at slot: Int) {
        valuations[slot] = valuation
        valuationVersion &+= 1
    }

    mutating func removeAllValuations() {
        valuations = Array(repeating: nil, count: valuations.count)
        valuationVersion &+= 1
    }

    /// Cash plus every open position's unrealised PnL at its latest price.
    func equity(cash: Double) -> Double {
        var equity = cash
        for valuation in valuations {
            guard let valuation else { continue }
            equity += valuation.unrealizedPnL
        }
        return equity
    }

    /// Cash less each open position's margin (entry notional / leverage) and unrealised loss.
    func cashLessMarginAndLosses(cash: Double) -> Double {
        var available = cash
        for valuation in valuations {
            guard let valuation else { continue }
            available -= valuation.quantity * valuation.entry / valuation.leverage
            available += min(0, valuation.unrealizedPnL)
        }
        return available
    }

    /// Every known price, by symbol.
    var dictionary: [String: Double] {
        var result = [String: Double](minimumCapacity: slots.count)
        for (slot, symbol) in slots.symbols.enumerated() { result[symbol] = prices[slot] }
        return result
    }
}

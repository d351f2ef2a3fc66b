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

    /// A symbol's latest price and, while it has a position, its valuation: one array, so that a price is recorded
    /// with one access to it (each access to an array that changes it first checks that nothing else shares it).
    private struct Mark: Sendable {
        var price: Double?
        var valuation: Valuation?

        /// Records `price`; true when there is a valuation (it moved too).
        mutating func record(_ price: Double) -> Bool {
            self.price = price
            guard valuation != nil else { return false }
            valuation!.price = price
            return true
        }
    }

    private var slots = SymbolSlots()
    private var marks: [Mark] = []
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
        marks.append(Mark())
        positionHints.append(0)
        return slots.slot(adding: symbol)
    }

    func price(_ symbol: String) -> Double? { slots.slot(of: symbol).flatMap { marks[$0].price } }

    func price(at slot: Int) -> Double? { marks[slot].price }

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
        guard marks[slot].record(price) else { return false }
        valuationVersion &+= 1
        return true
    }

    mutating func setValuation(_ valuation: Valuation?, at slot: Int) {
        marks[slot].valuation = valuation
        valuationVersion &+= 1
    }

    mutating func removeAllValuations() {
        for slot in marks.indices { marks[slot].valuation = nil }
        valuationVersion &+= 1
    }

    /// Cash plus every open position's unrealised PnL at its latest price.
    func equity(cash: Double) -> Double {
        var equity = cash
        for mark in marks {
            guard let valuation = mark.valuation else { continue }
            equity += valuation.unrealizedPnL
        }
        return equity
    }

    /// Cash less each open position's margin (entry notional / leverage) and unrealised loss.
    func cashLessMarginAndLosses(cash: Double) -> Double {
        var available = cash
        for mark in marks {
            guard let valuation = mark.valuation else { continue }
            available -= valuation.quantity * valuation.entry / valuation.leverage
            available += min(0, valuation.unrealizedPnL)
        }
        return available
    }

    /// Every known price, by symbol.
    var dictionary: [String: Double] {
        var result = [String: Double](minimumCapacity: slots.count)
        for (slot, symbol) in slots.symbols.enumerated() { result[symbol] = marks[slot].price }
        return result
    }
}

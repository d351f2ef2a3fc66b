import Testing
@testable import KestrelCore

@Suite struct PositionBookTests {
    func position(_ symbol: String, lots: Int = 10) -> ManagedPosition {
        let instrument = Instrument(symbol: symbol, base: String(symbol.prefix(3)), quote: "USDT", contractMultiplier: 1,
                                    tickSize: 0.01, maxLeverage: 10)
        return ManagedPosition(
            symbol: symbol, instrument: instrument, side: .long, lots: lots, initialLots: lots, entryPrice: 100,
            leverage: 5, openedAt: Timestamp(seconds: 0), stopDistance: 0.05, stopPrice: 95, stopKind: .initial,
            stopOrderID: nil, takeProfitPrice: 110, trailDistance: 0.02, bestPrice: 100, partialsTaken: 0,
            exitOrderID: nil, exitReason: nil, equityAtEntry: 1_000, fees: 0, funding: 0, realizedPnL: 0,
            exitValue: 0, exitedLots: 0)
    }

    @Test func behavesAsADictionaryBySymbol() {
        var book = PositionBook()
        book["AAAUSDT"] = position("AAAUSDT")
        book["BBBUSDT"] = position("BBBUSDT")
        book["CCCUSDT"] = position("CCCUSDT")
        #expect(book.count == 3 && Set(book.keys) == ["AAAUSDT", "BBBUSDT", "CCCUSDT"])
        // Changed in place, added through the optional, removed by nil: the others are untouched.
        book["BBBUSDT"]?.lots = 4
        book["BBBUSDT"]?.targetOrders[ClientOrderID("t")] = .init(reason: .takeProfit, lots: 2)
        book["DDDUSDT"]?.lots = 1
        #expect(book["BBBUSDT"]?.lots == 4 && book["BBBUSDT"]?.targetOrders.count == 1 && book["DDDUSDT"] == nil)
        book["AAAUSDT"] = nil
        #expect(book.count == 2 && book["AAAUSDT"] == nil && book["CCCUSDT"]?.lots == 10)
        #expect(book.removeValue(forKey: "CCCUSDT")?.symbol == "CCCUSDT" && book.removeValue(forKey: "CCCUSDT") == nil)
        #expect(book.keys == ["BBBUSDT"])
        // The saved form is a dictionary; a book made from one reads the same.
        let dictionary = ["XXXUSDT": position("XXXUSDT"), "BBBUSDT": position("BBBUSDT", lots: 4)]
        #expect(PositionBook(dictionary).dictionary == dictionary)
        #expect(PositionBook(dictionary).keys == ["BBBUSDT", "XXXUSDT"])
        // A saved position is found under its key, as in the dictionary it came from.
        #expect(PositionBook(["ZZZUSDT": position("AAAUSDT")])["ZZZUSDT"] != nil)
    }

    @Test func keepsSymbolOrderThroughEveryChange() {
        var book = PositionBook()
        for symbol in ["DDDUSDT", "BBBUSDT", "EEEUSDT", "AAAUSDT", "CCCUSDT"] { book[symbol] = position(symbol) }
        #expect(book.keys == ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT"])
        // Changed in place, removed from the middle by nil and through the optional, added through the optional.
        book["CCCUSDT"]?.lots = 2
        book["BBBUSDT"] = nil
        #expect(book.keys == ["AAAUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT"] && book["CCCUSDT"]?.lots == 2)
        var gone: ManagedPosition? = nil
        swap(&book["AAAUSDT"], &gone)
        #expect(gone?.symbol == "AAAUSDT" && book.keys == ["CCCUSDT", "DDDUSDT", "EEEUSDT"])
        var none: ManagedPosition? = nil
        swap(&book["BBBUSDT"], &none)
        #expect(book.keys == ["CCCUSDT", "DDDUSDT", "EEEUSDT"] && none == nil)
        var added: ManagedPosition? = position("DAAUSDT")
        swap(&book["DAAUSDT"], &added)
        #expect(book.keys == ["CCCUSDT", "DAAUSDT", "DDDUSDT", "EEEUSDT"] && added == nil)
        book.removeValue(forKey: "DDDUSDT")
        #expect(book.keys == ["CCCUSDT", "DAAUSDT", "EEEUSDT"])
    }

    /// The engine finds a price's position through a remembered index, checked before use: as positions open and
    /// close around it (moving it in the book), every lookup still finds its own position, and none for a symbol
    /// without one.
    @Test func priceMarksFindEachPositionAsTheBookMoves() {
        var marks = PriceMarks(symbols: ["CCCUSDT", "AAAUSDT", "BBBUSDT"])
        var book = PositionBook()
        func found(_ symbol: String) -> String? {
            marks.positionIndex(at: marks.slot(symbol), in: book).map { book.values[$0].symbol }
        }
        book["CCCUSDT"] = position("CCCUSDT")
        #expect(found("CCCUSDT") == "CCCUSDT" && found("AAAUSDT") == nil)
        book["AAAUSDT"] = position("AAAUSDT")  // goes before CCC: CCC's remembered index is stale
        #expect(found("CCCUSDT") == "CCCUSDT" && found("AAAUSDT") == "AAAUSDT")
        book["BBBUSDT"] = position("BBBUSDT")
        #expect(found("CCCUSDT") == "CCCUSDT" && found("BBBUSDT") == "BBBUSDT" && found("AAAUSDT") == "AAAUSDT")
        book["AAAUSDT"] = nil  // everything after it moves up
        #expect(found("AAAUSDT") == nil && found("BBBUSDT") == "BBBUSDT" && found("CCCUSDT") == "CCCUSDT")
        book = PositionBook()
        #expect(found("BBBUSDT") == nil && found("CCCUSDT") == nil)
        // A symbol first seen after the marks were made gets a slot of its own.
        book["DDDUSDT"] = position("DDDUSDT")
        #expect(found("DDDUSDT") == "DDDUSDT")
    }
}

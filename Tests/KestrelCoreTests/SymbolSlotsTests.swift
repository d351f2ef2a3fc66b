@testable import KestrelCore
import Testing

struct SymbolSlotsTests {
    @Test func everySymbolKeepsTheSlotItWasGivenFirst() {
        // Short symbols (held inside the string value), long ones (held elsewhere), and enough to grow the table.
        let symbols = (0..<40).map { "S\($0)USDTM" } + ["A-VERY-LONG-SYMBOL-NAME-USDTM", "ANOTHER-LONG-ONE-1000PEPEUSDTM"]
        var slots = SymbolSlots()
        for (index, symbol) in symbols.enumerated() { #expect(slots.slot(adding: symbol) == index) }
        #expect(slots.count == symbols.count && slots.symbols == symbols)
        for (index, symbol) in symbols.enumerated() {
            // A copy made apart from the one added: for a long symbol its storage is another.
            let copy = String(decoding: Array(symbol.utf8), as: UTF8.self)
            #expect(slots.slot(of: copy) == index)
        }
        // Added again, a symbol keeps its slot.
        #expect(slots.slot(adding: "S3USDTM") == 3 && slots.count == symbols.count)
        #expect(slots.slot(of: "S40USDTM") == nil && slots.slot(of: "") == nil)
    }

    @Test func anEqualSymbolWrittenOtherwiseIsTheSameSymbol() {
        // "é" as one code point and as "e" with a combining accent: equal strings, different bytes.
        let composed = "CAF\u{E9}USDT"
        let decomposed = "CAFe\u{301}USDT"
        #expect(composed == decomposed)
        var slots = SymbolSlots(["XBTUSDTM", composed])
        #expect(slots.slot(of: decomposed) == 1)
        #expect(slots.slot(adding: decomposed) == 1 && slots.count == 2)
    }
}

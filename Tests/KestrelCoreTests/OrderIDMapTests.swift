import Foundation
import Testing
@testable import KestrelCore

@Suite struct OrderIDMapTests {
    let ids = (1...12).map { ClientOrderID(run: RunID(value: 1), number: $0, role: .target, symbol: "XBTUSDTM") }

    @Test func behavesAsADictionaryInIDOrder() {
        var map = OrderIDMap<ExitReason>()
        // Made out of order: kept in id order (kst-2 before kst-10), as the cancels that read the keys need.
        for index in [9, 1, 4, 0] { map[ids[index]] = .takeProfit }
        #expect(map.keys == [ids[0], ids[1], ids[4], ids[9]] && map.count == 4)
        map[ids[4]] = .partialTakeProfit
        #expect(map[ids[4]] == .partialTakeProfit && map.count == 4)
        #expect(map.removeValue(forKey: ids[1]) == .takeProfit && map.removeValue(forKey: ids[1]) == nil)
        map[ids[0]] = nil
        map[ids[11]] = nil
        #expect(map.keys == [ids[4], ids[9]] && map[ids[0]] == nil)
        let dictionary: [ClientOrderID: ExitReason] = [ids[4]: .partialTakeProfit, ids[9]: .takeProfit]
        #expect(map.dictionary == dictionary && OrderIDMap(dictionary) == map)
    }

    @Test func savesAsTheDictionaryItStandsFor() throws {
        let dictionary: [ClientOrderID: ExitReason] = [ids[2]: .partialTakeProfit, ids[7]: .takeProfit,
                                                       ClientOrderID("external-1"): .takeProfit]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let map = OrderIDMap(dictionary)
        let decoded = try JSONDecoder().decode(OrderIDMap<ExitReason>.self, from: encoder.encode(map))
        #expect(decoded == map)
        // Written as the dictionary would be, and a dictionary written before reads back.
        let asDictionary = try JSONDecoder().decode([ClientOrderID: ExitReason].self, from: encoder.encode(map))
        #expect(asDictionary == dictionary)
        #expect(try JSONDecoder().decode(OrderIDMap<ExitReason>.self, from: encoder.encode(dictionary)) == map)
    }
}

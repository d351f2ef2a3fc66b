/// A contract as `GET /api/v1/contracts/active` describes it: only the fields Kestrel reads, each optional here so
/// that a missing one is reported by the mapping, which knows which ones it cannot do without.
struct ContractWire: Decodable, Sendable, Equatable {
    var symbol: String
    /// "FFWCSX" for a perpetual, "FFICSX" for a contract with an expiry.
    var type: String?
    var baseCurrency: String?
    var quoteCurrency: String?
    var settleCurrency: String?
    /// Base-asset units per lot.
    var multiplier: Double?
    var lotSize: Double?
    var tickSize: Double?
    var maxLeverage: Double?
    var makerFeeRate: Double?
    var takerFeeRate: Double?
    /// Quote-currency turnover of the last 24 hours.
    var turnoverOf24h: Double?
    var markPrice: Double?
    var lastTradePrice: Double?
    /// "Open" while trading.
    var status: String?
    var isInverse: Bool?

    private enum CodingKeys: String, CodingKey {
        case symbol, type, baseCurrency, quoteCurrency, settleCurrency, multiplier, lotSize, tickSize, maxLeverage
        case makerFeeRate, takerFeeRate, turnoverOf24h, markPrice, lastTradePrice, status, isInverse
    }

    init(symbol: String, type: String? = "FFWCSX", baseCurrency: String?, quoteCurrency: String? = "USDT",
         settleCurrency: String? = "USDT", multiplier: Double?, lotSize: Double? = 1, tickSize: Double?,
         maxLeverage: Double? = 75, makerFeeRate: Double? = 0.0002, takerFeeRate: Double? = 0.0006,
         turnoverOf24h: Double? = nil, markPrice: Double? = nil, lastTradePrice: Double? = nil,
         status: String? = "Open", isInverse: Bool? = false) {
        self.symbol = symbol
        self.type = type
        self.baseCurrency = baseCurrency
        self.quoteCurrency = quoteCurrency
        self.settleCurrency = settleCurrency
        self.multiplier = multiplier
        self.lotSize = lotSize
        self.tickSize = tickSize
        self.maxLeverage = maxLeverage
        self.makerFeeRate = makerFeeRate
        self.takerFeeRate = takerFeeRate
        self.turnoverOf24h = turnoverOf24h
        self.markPrice = markPrice
        self.lastTradePrice = lastTradePrice
        self.status = status
        self.isInverse = isInverse
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let symbol = try container.lenientString(forKey: .symbol), !symbol.isEmpty else {
            throw DecodingError.keyNotFound(CodingKeys.symbol, .init(codingPath: container.codingPath,
                                                                     debugDescription: "no symbol"))
        }
        self.symbol = symbol
        type = try container.lenientString(forKey: .type)
        baseCurrency = try container.lenientString(forKey: .baseCurrency)
        quoteCurrency = try container.lenientString(forKey: .quoteCurrency)
        settleCurrency = try container.lenientString(forKey: .settleCurrency)
        multiplier = try container.lenientDouble(forKey: .multiplier)
        lotSize = try container.lenientDouble(forKey: .lotSize)
        tickSize = try container.lenientDouble(forKey: .tickSize)
        maxLeverage = try container.lenientDouble(forKey: .maxLeverage)
        makerFeeRate = try container.lenientDouble(forKey: .makerFeeRate)
        takerFeeRate = try container.lenientDouble(forKey: .takerFeeRate)
        turnoverOf24h = try container.lenientDouble(forKey: .turnoverOf24h)
        markPrice = try container.lenientDouble(forKey: .markPrice)
        lastTradePrice = try container.lenientDouble(forKey: .lastTradePrice)
        status = try container.lenientString(forKey: .status)
        isInverse = try container.lenientBool(forKey: .isInverse)
    }
}

/// One row of `GET /api/v1/kline/query`: `[time_ms, open, high, low, close, volume]`, numbers or strings of them.
struct KlineRowWire: Decodable, Sendable, Equatable {
    var timeMilliseconds: Int64
    var open: Double
    var high: Double
    var low: Double
    var close: Double
    var volume: Double

    init(timeMilliseconds: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.timeMilliseconds = timeMilliseconds
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    init(from decoder: any Decoder) throws {
        var row = try decoder.unkeyedContainer()
        var values = [Double]()
        while !row.isAtEnd, values.count < 6 {
            if let number = try? row.decode(Double.self) {
                values.append(number)
            } else if let text = try? row.decode(String.self), let number = Double(text) {
                values.append(number)
            } else {
                throw DecodingError.dataCorruptedError(in: row, debugDescription: "column \(values.count) is not a number")
            }
        }
        guard values.count == 6 else {
            throw DecodingError.dataCorruptedError(in: row, debugDescription: "\(values.count) columns, not 6")
        }
        guard values[0].isFinite, values[0] >= 0, values[0] < 1e15 else {
            throw DecodingError.dataCorruptedError(in: row, debugDescription: "time \(values[0]) is not a time in ms")
        }
        timeMilliseconds = Int64(values[0])
        (open, high, low, close, volume) = (values[1], values[2], values[3], values[4], values[5])
    }
}

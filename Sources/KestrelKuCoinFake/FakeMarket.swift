import Foundation

/// What the fake lists and the candles it serves.
public struct FakeMarket: Sendable {
    /// A contract as `/api/v1/contracts/active` lists it; `extra` fields are added to its JSON as they are.
    public struct Contract: Sendable {
        public var symbol: String
        public var baseCurrency: String
        public var multiplier: Double
        public var tickSize: Double
        public var lotSize = 1
        public var maxLeverage = 75
        public var turnoverOf24h: Double
        public var lastTradePrice: Double
        public var status = "Open"
        public var type = "FFWCSX"
        public var quoteCurrency = "USDT"
        public var isInverse = false

        public init(symbol: String, baseCurrency: String, multiplier: Double, tickSize: Double,
                    turnoverOf24h: Double, lastTradePrice: Double) {
            self.symbol = symbol
            self.baseCurrency = baseCurrency
            self.multiplier = multiplier
            self.tickSize = tickSize
            self.turnoverOf24h = turnoverOf24h
            self.lastTradePrice = lastTradePrice
        }

        /// The contract in the documentation's shape (the futures manual's example, with this contract's values).
        var json: String {
            """
            {"symbol":"\(symbol)","rootSymbol":"USDT","type":"\(type)","firstOpenDate":1585555200000,\
            "expireDate":null,"settleDate":null,"baseCurrency":"\(baseCurrency)","quoteCurrency":"\(quoteCurrency)",\
            "settleCurrency":"\(quoteCurrency)","maxOrderQty":1000000,"maxPrice":1000000.0,"lotSize":\(lotSize),\
            "tickSize":\(tickSize),"indexPriceTickSize":0.01,"multiplier":\(multiplier),"initialMargin":0.01,\
            "maintainMargin":0.005,"maxRiskLimit":2000000,"minRiskLimit":2000000,"riskStep":1000000,\
            "makerFeeRate":0.0002,"takerFeeRate":0.0006,"takerFixFee":0.0,"makerFixFee":0.0,"settlementFee":null,\
            "isDeleverage":true,"isQuanto":true,"isInverse":\(isInverse),"markMethod":"FairPrice",\
            "fairMethod":"FundingRate","status":"\(status)","fundingFeeRate":0.0001,\
            "predictedFundingFeeRate":0.0001,"openInterest":"5191275","turnoverOf24h":\(turnoverOf24h),\
            "volumeOf24h":56067.116,"markPrice":\(lastTradePrice),"indexPrice":\(lastTradePrice),\
            "lastTradePrice":\(lastTradePrice),"nextFundingRateTime":21031525,"maxLeverage":\(maxLeverage),\
            "sourceExchanges":["Kucoin","Binance"],"lowPrice":38040,"highPrice":44948,"priceChgPct":0.17,\
            "priceChg":6476}
            """
        }
    }

    /// One candle: open time in milliseconds, then open, high, low, close, volume.
    public struct Row: Sendable, Equatable {
        public var time: Int64
        public var open: Double
        public var high: Double
        public var low: Double
        public var close: Double
        public var volume: Double

        public init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
            self.time = time
            self.open = open
            self.high = high
            self.low = low
            self.close = close
            self.volume = volume
        }
    }

    public var contracts: [Contract]
    /// Each symbol's candles at `baseMinutes`, oldest first; other granularities are made from them.
    public var candles: [String: [Row]]
    public var baseMinutes: Int64

    public init(contracts: [Contract], candles: [String: [Row]], baseMinutes: Int64) {
        self.contracts = contracts
        self.candles = candles
        self.baseMinutes = baseMinutes
    }

    /// `symbol`'s candles of `minutes` that opened in `from...to` (milliseconds) and by `now`, at most `limit`, the
    /// newest ones when there are more: made from the base candles, the last one still forming when `now` is in it.
    func rows(_ symbol: String, minutes: Int64, from: Int64, to: Int64, now: Int64, limit: Int) -> [Row] {
        guard let base = candles[symbol], minutes >= baseMinutes, minutes % baseMinutes == 0 else { return [] }
        let width = minutes * 60_000
        var rows = [Row]()
        for row in base where row.time <= now {
            let start = row.time / width * width
            guard start >= from / width * width, start <= to else { continue }
            if var last = rows.last, last.time == start {
                last.high = max(last.high, row.high)
                last.low = min(last.low, row.low)
                last.close = row.close
                last.volume += row.volume
                rows[rows.count - 1] = last
            } else {
                rows.append(Row(time: start, open: row.open, high: row.high, low: row.low, close: row.close,
                                volume: row.volume))
            }
        }
        rows.removeAll { $0.time < from }
        return Array(rows.suffix(limit))
    }

    /// A deterministic market of `count` symbols: hourly candles from `start` for `hours` hours, each symbol a
    /// trending and oscillating path of its own.
    public static func synthetic(symbols count: Int, start: Int64, hours: Int) -> FakeMarket {
        var contracts = [Contract]()
        var candles = [String: [Row]]()
        for index in 0..<count {
            let base = index == 0 ? "XBT" : index == 1 ? "ETH" : "C\(index)"
            let symbol = "\(base)USDTM"
            let startPrice = index == 0 ? 40_000.0 : index == 1 ? 2_500.0 : 1.0 + Double(index % 97)
            var rows = [Row]()
            var price = startPrice
            var state = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
            for hour in 0..<hours {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Double(state >> 11) / Double(1 << 53) - 0.5
                let trend = 0.002 * sin(Double(hour + index * 17) / 40)
                let open = price
                let close = max(open * (1 + trend + 0.01 * noise), startPrice * 0.05)
                let high = max(open, close) * (1 + 0.003 + 0.002 * abs(noise))
                let low = min(open, close) * (1 - 0.003 - 0.002 * abs(noise))
                rows.append(Row(time: (start / 3_600_000 + Int64(hour)) * 3_600_000, open: open, high: high, low: low,
                                close: close, volume: 1_000 + 500 * abs(noise)))
                price = close
            }
            let tick = startPrice >= 1_000 ? 0.1 : startPrice >= 10 ? 0.01 : 0.0001
            contracts.append(Contract(symbol: symbol, baseCurrency: base, multiplier: index == 0 ? 0.001 : 0.01,
                                      tickSize: tick, turnoverOf24h: 5_000_000 + Double(index) * 10_000,
                                      lastTradePrice: price))
            candles[symbol] = rows
        }
        return FakeMarket(contracts: contracts, candles: candles, baseMinutes: 60)
    }
}

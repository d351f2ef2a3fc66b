/// Whole-series indicator passes, as TA-Lib computes them: one tight loop per indicator that reads its trailing
/// values straight from the input instead of keeping a ring buffer.
///
/// Each pass performs the same floating-point operations, in the same order, as the streaming indicator of the same
/// name, so batch and streaming results are bit-for-bit identical (`IndicatorConsistencyTests` holds this).
/// Outputs are NaN during warm-up.
enum BatchIndicators {
    typealias Input = UnsafeBufferPointer<Double>
    typealias Output = UnsafeMutableBufferPointer<Double>

    static func sma(_ x: Input, period: Int, into out: Output) {
        let n = x.count
        guard n >= period else { return }
        var partial = 0.0
        for i in 0..<(period - 1) { partial += x[i] }
        let divisor = Double(period)
        var trailing = 0
        for i in (period - 1)..<n {
            let total = partial + x[i]
            out[i] = total / divisor
            partial = total - x[trailing]
            trailing += 1
        }
    }

    static func ema(_ x: Input, period: Int, into out: Output) {
        let n = x.count
        guard n >= period else { return }
        var sum = 0.0
        for i in 0..<period { sum += x[i] }
        let k = 2.0 / Double(period + 1)
        var value = sum / Double(period)
        out[period - 1] = value
        for i in period..<n {
            value = (x[i] - value) * k + value
            out[i] = value
        }
    }

    static func macd(_ x: Input, fast: Int, slow: Int, signal: Int, line: Output, signalLine: Output,
                     histogram: Output) {
        let n = x.count
        let first = slow - 1 + signal - 1
        guard n > first else { return }
        var slowSum = 0.0
        for i in 0..<slow { slowSum += x[i] }
        var slowValue = slowSum / Double(slow)
        var fastSum = 0.0
        for i in (slow - fast)..<slow { fastSum += x[i] }
        var fastValue = fastSum / Double(fast)
        let slowK = 2.0 / Double(slow + 1)
        let fastK = 2.0 / Double(fast + 1)
        let signalK = 2.0 / Double(signal + 1)
        var signalSum = fastValue - slowValue
        for i in slow..<(slow + signal - 1) {
            slowValue = (x[i] - slowValue) * slowK + slowValue
            fastValue = (x[i] - fastValue) * fastK + fastValue
            signalSum += fastValue - slowValue
        }
        var signalValue = signalSum / Double(signal)
        var macdValue = fastValue - slowValue
        line[first] = macdValue
        signalLine[first] = signalValue
        histogram[first] = macdValue - signalValue
        for i in (first + 1)..<n {
            slowValue = (x[i] - slowValue) * slowK + slowValue
            fastValue = (x[i] - fastValue) * fastK + fastValue
            macdValue = fastValue - slowValue
            signalValue = (macdValue - signalValue) * signalK + signalValue
            line[i] = macdValue
            signalLine[i] = signalValue
            histogram[i] = macdValue - signalValue
        }
    }

    static func rsi(_ x: Input, period: Int, into out: Output) {
        let n = x.count
        guard n > period else { return }
        var gain = 0.0
        var loss = 0.0
        var previous = x[0]
        let p = Double(period)
        for i in 1...period {
            let change = x[i] - previous
            previous = x[i]
            if change < 0 { loss -= change } else { gain += change }
        }
        loss /= p
        gain /= p
        var total = gain + loss
        out[period] = (total > -taLibEpsilon && total < taLibEpsilon) ? 0 : 100 * (gain / total)
        for i in (period + 1)..<n {
            let change = x[i] - previous
            previous = x[i]
            loss *= p - 1
            gain *= p - 1
            if change < 0 { loss -= change } else { gain += change }
            loss /= p
            gain /= p
            total = gain + loss
            out[i] = (total > -taLibEpsilon && total < taLibEpsilon) ? 0 : 100 * (gain / total)
        }
    }

    static func stochasticFast(high: Input, low: Input, close: Input, kPeriod: Int, dPeriod: Int, k: Output,
                               d: Output) {
        let n = close.count
        let first = kPeriod - 1 + dPeriod - 1
        guard n > first else { return }
        var highestIndex = -1
        var highest = 0.0
        var lowestIndex = -1
        var lowest = 0.0
        var partial = 0.0
        var rawK = [Double](repeating: 0, count: n)
        let divisor = Double(dPeriod)
        for today in (kPeriod - 1)..<n {
            let trailing = today - kPeriod + 1
            if highestIndex < trailing {
                highestIndex = trailing
                highest = high[trailing]
                for i in trailing...today where high[i] >= highest {
                    highest = high[i]
                    highestIndex = i
                }
            } else if high[today] >= highest {
                highest = high[today]
                highestIndex = today
            }
            if lowestIndex < trailing {
                lowestIndex = trailing
                lowest = low[trailing]
                for i in trailing...today where low[i] <= lowest {
                    lowest = low[i]
                    lowestIndex = i
                }
            } else if low[today] <= lowest {
                lowest = low[today]
                lowestIndex = today
            }
            let range = (highest - lowest) / 100.0
            let value = range != 0 ? (close[today] - lowest) / range : 0
            rawK[today] = value
            // %D: the SMA of %K, with SimpleMovingAverage's running partial sum.
            if today < first {
                partial += value
                continue
            }
            let total = partial + value
            k[today] = value
            d[today] = total / divisor
            partial = total - rawK[today - dPeriod + 1]
        }
    }

    static func bollinger(_ x: Input, period: Int, deviations: Double, upper: Output, middle: Output,
                          lower: Output) {
        let n = x.count
        guard n >= period else { return }
        var partial = 0.0
        var partialSquares = 0.0
        for i in 0..<(period - 1) {
            partial += x[i]
            partialSquares += x[i] * x[i]
        }
        let divisor = Double(period)
        var trailing = 0
        for i in (period - 1)..<n {
            let value = x[i]
            let total = partial + value
            let mean = total / divisor
            partial = total - x[trailing]
            let totalSquares = partialSquares + value * value
            var variance = totalSquares / divisor
            partialSquares = totalSquares - x[trailing] * x[trailing]
            trailing += 1
            variance -= mean * mean
            let deviation = variance < taLibEpsilon ? 0 : variance.squareRoot()
            let offset = deviation * deviations
            middle[i] = mean
            upper[i] = mean + offset
            lower[i] = mean - offset
        }
    }

    static func atr(high: Input, low: Input, close: Input, period: Int, into out: Output) {
        let n = close.count
        guard n > period else { return }
        var sum = 0.0
        var value = 0.0
        for i in 1..<n {
            let previousClose = close[i - 1]
            var trueRange = high[i] - low[i]
            let fromHigh = (previousClose - high[i]).magnitude
            if fromHigh > trueRange { trueRange = fromHigh }
            let fromLow = (previousClose - low[i]).magnitude
            if fromLow > trueRange { trueRange = fromLow }
            if i < period {
                sum += trueRange
            } else if i == period {
                value = (sum + trueRange) / Double(period)
                out[i] = value
            } else {
                value = (value * Double(period - 1) + trueRange) / Double(period)
                out[i] = value
            }
        }
    }

    static func roc(_ x: Input, period: Int, into out: Output) {
        guard x.count > period else { return }
        for i in period..<x.count {
            let past = x[i - period]
            out[i] = past != 0 ? ((x[i] / past) - 1.0) * 100.0 : 0
        }
    }
}

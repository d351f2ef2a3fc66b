/// Parses decimal numbers from raw bytes without allocating.
///
/// Market data files hold hundreds of thousands of numbers; going through `String` for each one would dominate
/// load time. The fast path is exact: a mantissa below 2^53 scaled by a power of ten up to 10^22 is converted with a
/// single correctly rounded IEEE multiplication or division (Clinger's fast path), which gives the same `Double` as
/// `strtod`. Anything else falls back to the standard library's parser.
public enum DecimalParser {
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Returns nil when the bytes are not a number. `nan`, `inf` and `infinity` (any case, signed) parse to their
    /// IEEE values so that validation can name them precisely instead of calling them "not a number".
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let count = bytes.count
        guard count > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        var mantissa: UInt64 = 0
        var digitCount = 0
        var exponent = 0
        var sawDigit = false
        while index < count, case let d = bytes[index] &- UInt8(ascii: "0"), d < 10 {
            sawDigit = true
            if digitCount < 19 {
                mantissa = mantissa * 10 + UInt64(d)
                if mantissa != 0 { digitCount += 1 }
            } else {
                exponent += 1
            }
            index += 1
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, case let d = bytes[index] &- UInt8(ascii: "0"), d < 10 {
                sawDigit = true
                if digitCount < 19 {
                    mantissa = mantissa * 10 + UInt64(d)
                    if mantissa != 0 { digitCount += 1 }
                    exponent -= 1
                }
                index += 1
            }
        }
        guard sawDigit else { return parseSpecial(bytes, negative: negative, from: index) }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            var sawExponentDigit = false
            while index < count, case let d = bytes[index] &- UInt8(ascii: "0"), d < 10 {
                sawExponentDigit = true
                if value < 10_000 { value = value * 10 + Int(d) }
                index += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard index == count else { return nil }
        if digitCount < 19, mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= powersOfTen[-exponent] } else { value *= powersOfTen[exponent] }
            return negative ? -value : value
        }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    /// Convenience for tests and small inputs.
    public static func parse(_ text: some StringProtocol) -> Double? {
        var copy = String(text)
        return copy.withUTF8 { parse($0) }
    }

    private static func parseSpecial(_ bytes: UnsafeBufferPointer<UInt8>, negative: Bool, from: Int) -> Double? {
        let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[from...]), as: UTF8.self).lowercased()
        switch word {
        case "nan": return .nan
        case "inf", "infinity": return negative ? -.infinity : .infinity
        default: return nil
        }
    }
}

/// Numbers as logs, notes and reports write them: one place, so every part of Kestrel words them alike.
public enum NumberText {
    /// As many decimals as the size of the value deserves: 1 from 1,000 up, 2 from 1, 4 from 0.01, else 6.
    public static func readable(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let magnitude = value.magnitude
        return rounded(value, places: magnitude >= 1000 ? 1 : magnitude >= 1 ? 2 : magnitude >= 0.01 ? 4 : 6)
    }

    /// A fraction as a percentage, e.g. 0.0123 -> "1.23%".
    public static func percent(_ fraction: Double) -> String { "\(readable(fraction * 100))%" }

    /// Exactly `places` decimals (trailing zeros kept), e.g. fixed(2.5, places: 2) -> "2.50".
    public static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "n/a" }
        if places <= 0, abs(value) < 1e15 { return String(Int64(value.rounded())) }
        var text = rounded(value, places: places)
        guard places > 0, !text.contains("e") else { return text }
        if !text.contains(".") { text += "." }
        let decimals = text.distance(from: text.firstIndex(of: ".")!, to: text.endIndex) - 1
        return decimals < places ? text + String(repeating: "0", count: places - decimals) : text
    }

    /// A whole number without decimals, anything else with two.
    public static func compact(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : fixed(value, places: 2)
    }

    /// The shortest text of `value` rounded to `places` decimals.
    private static func rounded(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<max(0, places) { scale *= 10 }
        return "\((value * scale).rounded() / scale)"
    }
}

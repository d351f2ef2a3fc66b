import Foundation

/// The ways the paper venue misbehaves on purpose (`--paper-faults`), as a real exchange does now and then: each a
/// probability per request or per event, drawn from a seeded generator so that a run can be repeated.
///
/// `latency=MS,partial=P,duplicate=P,reorder=P,timeout=P,error-after=P,error-before=P,reject-stop=P,drop=P,seed=N`
public struct PaperFaults: Sendable, Equatable, CustomStringConvertible {
    /// Each request reaches the venue this many milliseconds of engine time late.
    public var latencyMilliseconds: Int64 = 0
    /// A market order fills in 2 to 4 pieces.
    public var partial = 0.0
    /// A fill is reported twice.
    public var duplicate = 0.0
    /// Two events of one batch are reported the other way round.
    public var reorder = 0.0
    /// No answer: the request fails as timed out, though the order *was* placed.
    public var timeout = 0.0
    /// A server error after the order was placed.
    public var errorAfter = 0.0
    /// A server error before anything was done.
    public var errorBefore = 0.0
    /// A stop order is refused.
    public var rejectStop = 0.0
    /// The event stream breaks: events are lost until it reconnects.
    public var drop = 0.0
    public var seed: UInt64 = 1

    public init() {}

    /// Whether any fault is switched on.
    public var isActive: Bool {
        latencyMilliseconds > 0 || [partial, duplicate, reorder, timeout, errorAfter, errorBefore, rejectStop, drop]
            .contains { $0 > 0 }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses a specification such as `partial=0.5,duplicate=0.1,timeout=0.05,seed=7`; an unknown name, a
    /// probability outside 0...1 or a value that is not a number is an error naming it.
    public init(parsing spec: String) throws(ParseError) {
        self.init()
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed != "none", trimmed != "off" else { return }
        for item in trimmed.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw ParseError(description: "'\(item)' is not NAME=VALUE") }
            let (name, value) = (parts[0].lowercased(), parts[1])
            func probability() throws(ParseError) -> Double {
                guard let p = Double(value), p.isFinite, (0...1).contains(p) else {
                    throw ParseError(description: "\(name)=\(value): a probability from 0 to 1 is expected")
                }
                return p
            }
            switch name {
            case "latency":
                guard let ms = Int64(value), (0...60_000).contains(ms) else {
                    throw ParseError(description: "latency=\(value): milliseconds from 0 to 60000 are expected")
                }
                latencyMilliseconds = ms
            case "partial": partial = try probability()
            case "duplicate": duplicate = try probability()
            case "reorder": reorder = try probability()
            case "timeout": timeout = try probability()
            case "error-after": errorAfter = try probability()
            case "error-before": errorBefore = try probability()
            case "reject-stop": rejectStop = try probability()
            case "drop": drop = try probability()
            case "seed":
                guard let n = UInt64(value) else { throw ParseError(description: "seed=\(value): a whole number is expected") }
                seed = n
            default:
                throw ParseError(description: "unknown fault '\(name)' (known: latency, partial, duplicate, reorder, "
                    + "timeout, error-after, error-before, reject-stop, drop, seed)")
            }
        }
    }

    public var description: String {
        guard isActive else { return "none" }
        var items = [String]()
        if latencyMilliseconds > 0 { items.append("latency=\(latencyMilliseconds)") }
        for (name, p) in [("partial", partial), ("duplicate", duplicate), ("reorder", reorder), ("timeout", timeout),
                          ("error-after", errorAfter), ("error-before", errorBefore), ("reject-stop", rejectStop),
                          ("drop", drop)] where p > 0 {
            items.append("\(name)=\(p)")
        }
        items.append("seed=\(seed)")
        return items.joined(separator: ",")
    }
}

/// SplitMix64: a small, fast generator whose whole state is one number, so a run's faults repeat from its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable, Codable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && Double.random(in: 0..<1, using: &self) < p
    }
}

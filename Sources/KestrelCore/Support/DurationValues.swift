extension Duration {
    /// The duration as a number of seconds (`Duration` itself only gives whole seconds plus attoseconds).
    public var totalSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    public var milliseconds: Double { totalSeconds * 1e3 }
    public var microseconds: Double { totalSeconds * 1e6 }
    public var nanoseconds: Double { totalSeconds * 1e9 }
}

/// A dictionary that keeps at least its last `capacity` entries and at most twice as many: two generations, the older
/// one dropped whole when the newer one is full. For what a long-running venue learns as it goes (which client id
/// KuCoin's order ids stand for), which must not grow for ever.
struct RecentMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    subscript(key: Key) -> Value? {
        get { current[key] ?? previous[key] }
        set {
            guard let newValue else {
                current[key] = nil
                previous[key] = nil
                return
            }
            if current.count >= capacity, current[key] == nil {
                previous = current
                current = [:]
            }
            current[key] = newValue
        }
    }

    subscript(key: Key, default value: @autoclosure () -> Value) -> Value {
        get { self[key] ?? value() }
        set { self[key] = newValue }
    }
}

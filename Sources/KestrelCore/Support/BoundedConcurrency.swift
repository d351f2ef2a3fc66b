extension Array where Element: Sendable {
    /// Runs `work` on every element, at most `width` at a time (the next starts as one finishes), and hands each
    /// output, with its element's index, to `collect` in the calling task as it comes: `collect` may change the
    /// caller's state. An error from `work` or `collect`, or the caller's cancellation, starts nothing more, cancels
    /// the work under way and is thrown.
    public func forEachConcurrently<Output: Sendable>(
        width: Int, _ work: @escaping @Sendable (Element) async throws -> Output,
        collect: (_ index: Int, _ output: Output) throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var next = startIndex
            func startNext() {
                guard next < endIndex else { return }
                let index = next
                let element = self[index]
                next += 1
                group.addTask { (index, try await work(element)) }
            }
            for _ in 0..<Swift.max(1, width) { startNext() }
            while let (index, output) = try await group.next() {
                try collect(index, output)
                try Task.checkCancellation()
                startNext()
            }
        }
    }
}

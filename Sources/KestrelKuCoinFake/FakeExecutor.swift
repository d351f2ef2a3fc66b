import Foundation

/// A task executor with a thread of its own, for a fake's server: on a machine whose cooperative pool is kept busy
/// by other tests (the soak tests keep both threads of a 2-core machine busy for a minute), the fake would otherwise
/// answer seconds late, and a test of timeouts, rate limits and reconnects would measure the load instead of the
/// code. Its thread sleeps when there is nothing to run, and lasts as long as the process (a test process makes a
/// few dozen).
final class FakeExecutor: TaskExecutor, @unchecked Sendable {
    // `jobs` is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}

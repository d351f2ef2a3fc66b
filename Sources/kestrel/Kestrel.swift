import CMallocTuning
// Not used here: imported so that the statically linked binary brings in the libraries Foundation itself needs
// (see the `kestrel` target in Package.swift).
import Foundation
import KestrelApp

/// The executable only tunes the process and hands control to `KestrelApp`, where the commands live and can be
/// tested.
@main
enum Kestrel {
    static func main() async {
        // Reuse freed large arrays instead of faulting fresh pages in for each one (see malloc_tuning.c).
        _ = kestrel_keep_freed_memory()
        await KestrelCommand.main()
    }
}

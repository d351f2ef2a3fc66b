import KestrelApp

/// The executable only hands control to `KestrelApp`, where the commands live and can be tested.
@main
enum Kestrel {
    static func main() async {
        await KestrelCommand.main()
    }
}

// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Kestrel is laid out as a small, dependency-light core and thin outer layers:
/// - `KestrelCore`: domain types, market data parsing and validation, indicators, strategy, scanner.
/// - `KestrelMarketData`: the embedded market (real candles shipped as resources).
/// - `KestrelRuntime`: the concurrent services (scanner, opportunity board, trader, position monitor, market replay)
///   that feed the deterministic engine in paper and live trading.
/// - `KestrelStorage`: the SQLite journal (GRDB): orders, fills, positions, risk and paper-exchange state.
/// - `KestrelWeb`: the dashboard page, the chart component it shares with the backtest report, and their styles.
/// - `KestrelServer`: the bot's HTTP API and dashboard (Hummingbird), reading what the desk publishes.
/// - `KestrelAlerts`: alerts to Telegram and a webhook, from the desk's events and status.
/// - `KestrelApp`: the command-line commands and their output (tables, JSON, CSV), and the benchmarks.
/// - `kestrel`: the executable; it only hands control to `KestrelApp`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Profile-guided optimisation of `KestrelCore` in release builds on Linux: the compiler lays out and inlines the
/// engine's code by how often each branch and call ran in a recorded run of the benchmarks
/// (`Profiles/KestrelCore.profdata`, recorded by `scripts/update-profile`; see docs/backtesting.md). A function
/// changed since the recording is compiled as it would be without a profile.
/// - `KESTREL_PGO=generate` builds the instrumented binary that records a new profile; `KESTREL_PGO=off` builds
///   without one, as a package that depends on `KestrelCore` must (the flags are unsafe ones).
/// - SwiftPM does not see the profile as an input: a new one takes effect when the module is next compiled (the
///   script deletes the module's release objects for that). `-disable-incremental-llvm-codegen` makes that compile
///   run LLVM again even where the module's source is unchanged: the compiler otherwise reuses an object whose
///   unoptimised code is the same, profile or not.
/// - The profile is in the format of Swift 6.3's LLVM, which older compilers cannot read.
let optimisedRelease = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
var coreSettings = strictSettings
var profileLinkSettings: [LinkerSetting] = []
#if compiler(>=6.3)
let profile = Context.packageDirectory + "/Profiles/KestrelCore.profdata"
switch Context.environment["KESTREL_PGO"] {
case "generate":
    coreSettings.append(.unsafeFlags(["-Xfrontend", "-ir-profile-generate",
                                      "-Xfrontend", "-disable-incremental-llvm-codegen"], optimisedRelease))
    // The driver links the profile runtime, which writes `$LLVM_PROFILE_FILE` (or `default.profraw`) at exit.
    profileLinkSettings.append(.unsafeFlags(["-profile-generate"], optimisedRelease))
case "off":
    break
default:
    if FileManager.default.fileExists(atPath: profile) {
        coreSettings.append(.unsafeFlags(["-Xfrontend", "-ir-profile-use=\(profile)",
                                          "-Xfrontend", "-disable-incremental-llvm-codegen"], optimisedRelease))
    }
}
#endif

let package = Package(
    name: "Kestrel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kestrel", targets: ["kestrel"]),
        .library(name: "KestrelCore", targets: ["KestrelCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
        .package(url: "https://github.com/ordo-one/TextTable", from: "0.0.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/console-kit", from: "4.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "KestrelCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: coreSettings
        ),
        .target(
            name: "KestrelMarketData",
            dependencies: ["KestrelCore"],
            resources: [.copy("Resources/market")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KestrelRuntime",
            dependencies: [
                "KestrelCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KestrelStorage",
            dependencies: [
                "KestrelCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KestrelKuCoin",
            dependencies: [
                "KestrelCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The web files: the dashboard page and the chart component the backtest report shares (no dependency).
        .target(
            name: "KestrelWeb",
            resources: [.copy("Resources/web")],
            swiftSettings: strictSettings
        ),
        // The bot's HTTP API (Hummingbird): reads of its published status, controls behind a token, the dashboard.
        .target(
            name: "KestrelServer",
            dependencies: [
                "KestrelCore",
                "KestrelRuntime",
                "KestrelWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // Alerts to Telegram and a JSON webhook, from the desk's events and status.
        .target(
            name: "KestrelAlerts",
            dependencies: [
                "KestrelCore",
                "KestrelRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // A fake of KuCoin Futures on loopback, for the tests and `kestrel bench`: no trading command reaches it.
        .target(
            name: "KestrelKuCoinFake",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KestrelApp",
            dependencies: [
                "KestrelCore",
                "KestrelKuCoin",
                // For `kestrel bench` only: the KuCoin benchmark streams from the fake over loopback.
                "KestrelKuCoinFake",
                "KestrelMarketData",
                "KestrelAlerts",
                "KestrelRuntime",
                "KestrelServer",
                "KestrelStorage",
                "KestrelWeb",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ConsoleKitTerminal", package: "console-kit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Rainbow", package: "Rainbow"),
                .product(name: "TextTable", package: "TextTable"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "CMallocTuning"),
        .executableTarget(
            name: "kestrel",
            dependencies: ["KestrelApp", "CMallocTuning"],
            // The Swift runtime and Foundation linked in rather than loaded: every retain, release and uniqueness
            // check is then a direct call instead of a jump through the dynamic linker's table, which makes the
            // engine's backtest about a tenth faster (docs/backtesting.md), and the binary runs on a machine without
            // a Swift toolchain. Linux only: Apple platforms ship the runtime with the system.
            // - Compiling `main` with the flag too makes its `import Foundation` name the static libraries Foundation
            //   itself needs (CoreFoundation, ICU), which the link flag alone leaves out.
            // - lld, not the default gold: gold warns at every link about Foundation's use of `mktemp`.
            swiftSettings: strictSettings + [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-use-ld=lld"], .when(platforms: [.linux]))]
                + profileLinkSettings
        ),
        .testTarget(
            name: "KestrelCoreTests",
            dependencies: ["KestrelCore", "KestrelMarketData"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelRuntimeTests",
            dependencies: [
                "KestrelRuntime", "KestrelCore", "KestrelMarketData",
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelStorageTests",
            dependencies: ["KestrelStorage", "KestrelCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelKuCoinTests",
            dependencies: ["KestrelKuCoin", "KestrelKuCoinFake", "KestrelCore",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelAlertsTests",
            dependencies: ["KestrelAlerts", "KestrelRuntime", "KestrelCore",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelServerTests",
            dependencies: ["KestrelServer", "KestrelRuntime", "KestrelCore", "KestrelWeb",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelAppTests",
            dependencies: ["KestrelApp", "KestrelCore", "KestrelMarketData", "KestrelRuntime", "KestrelStorage",
                           "KestrelKuCoinFake", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

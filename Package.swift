// swift-tools-version: 6.1
import PackageDescription

/// Kestrel is laid out as a small, dependency-light core and thin outer layers:
/// - `KestrelCore`: domain types, market data parsing and validation, indicators, strategy, scanner.
/// - `KestrelMarketData`: the embedded market (real candles shipped as resources).
/// - `KestrelApp`: the command-line commands and their output (tables, JSON, CSV), and the benchmarks.
/// - `kestrel`: the executable; it only hands control to `KestrelApp`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

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
    ],
    targets: [
        .target(
            name: "KestrelCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KestrelMarketData",
            dependencies: ["KestrelCore"],
            resources: [.copy("Resources/market")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KestrelApp",
            dependencies: [
                "KestrelCore",
                "KestrelMarketData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Rainbow", package: "Rainbow"),
                .product(name: "TextTable", package: "TextTable"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "CMallocTuning"),
        .executableTarget(
            name: "kestrel",
            dependencies: ["KestrelApp", "CMallocTuning"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelCoreTests",
            dependencies: ["KestrelCore", "KestrelMarketData"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KestrelAppTests",
            dependencies: ["KestrelApp", "KestrelCore", "KestrelMarketData"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

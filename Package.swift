// swift-tools-version: 6.1
import PackageDescription

// The SIP call engine handles every message of every call: let the optimiser inline and specialise
// its code across the SIP / SIPUserAgent module boundary (scripts/bench-sip measures the effect).
let callEngineSettings: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "waihu",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "waihu", targets: ["waihu"]),
        .library(name: "WaihuCore", targets: ["WaihuCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "WaihuCore",
            dependencies: ["CMemoryHints", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Resources/README.md"],
            resources: [.copy("Resources/phone-directory.bin"), .copy("Resources/holidays-cn.txt")]
        ),
        .target(name: "CMemoryHints"),
        .target(
            name: "WaihuStore",
            dependencies: [
                "WaihuCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "WaihuConfig",
            dependencies: [
                "WaihuCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "WaihuGateways",
            dependencies: ["WaihuCore"]
        ),
        .target(
            name: "SIP",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: callEngineSettings
        ),
        .target(
            name: "SIPUserAgent",
            dependencies: [
                "SIP",
                "CMemoryHints",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: callEngineSettings
        ),
        .target(
            name: "WaihuServer",
            dependencies: [
                "WaihuCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("openapi.yaml")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .executableTarget(
            name: "waihu",
            dependencies: [
                "WaihuCore",
                "WaihuStore",
                "WaihuConfig",
                "WaihuServer",
                "WaihuGateways",
                "SIP",
                "SIPUserAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources/demo-caller-numbers.csv"), .copy("Resources/demo-contacts.csv")]
        ),
        .executableTarget(
            name: "sip-load",
            dependencies: [
                "SIPUserAgent", "SIP", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "SIPFuzz",
            dependencies: ["SIP"],
            path: "Fuzz/SIPFuzz",
            // The file defines @main only when not built as a libFuzzer target (-DFUZZING), so it is
            // always parsed as a library rather than as top-level code.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "waihu-bench",
            dependencies: ["WaihuCore", "WaihuStore", "SIP", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/waihu-bench"
        ),
        .testTarget(
            name: "WaihuCoreTests",
            dependencies: ["WaihuCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "WaihuStoreTests",
            dependencies: ["WaihuCore", "WaihuStore"]
        ),
        .testTarget(
            name: "ComplianceTests",
            dependencies: [
                "WaihuCore",
                "WaihuStore",
                "WaihuGateways",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "PoolTests",
            dependencies: [
                "WaihuCore",
                "WaihuStore",
                "WaihuGateways",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "WaihuConfigTests",
            dependencies: ["WaihuConfig"]
        ),
        .testTarget(
            name: "SIPTests",
            dependencies: ["SIP"],
            resources: [.copy("Torture")]
        ),
        .testTarget(
            name: "SIPUserAgentTests",
            dependencies: [
                "SIPUserAgent",
                "SIP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Scenarios")]
        ),
        .testTarget(
            name: "WaihuServerTests",
            dependencies: [
                "WaihuCore",
                "WaihuStore",
                "WaihuServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

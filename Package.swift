// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "deployer",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "deployer", targets: ["deployer"]),
        .library(name: "SigV4", targets: ["SigV4"]),
        .library(name: "AWSCore", targets: ["AWSCore"]),
        .library(name: "DeployKit", targets: ["DeployKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Pure SigV4: canonical request → string to sign → signature. No I/O.
        .target(
            name: "SigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Credentials, transport, retry, endpoints, errors and the AWS service clients.
        .target(
            name: "AWSCore",
            dependencies: [
                "SigV4",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Manifest, artifact, plan, apply, run, status: the deploy logic.
        .target(
            name: "DeployKit",
            dependencies: [
                "AWSCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            plugins: ["EmbedJobTemplate"]
        ),
        // The job template (jobs/templates/job/) as Swift source, generated on each build: the
        // template's files are the one copy.
        .executableTarget(name: "embed-job-template"),
        .plugin(name: "EmbedJobTemplate", capability: .buildTool(), dependencies: ["embed-job-template"]),
        // Argument parsing and printing only.
        .executableTarget(
            name: "deployer",
            dependencies: [
                "DeployKit",
                "AWSCore",
                "SigV4",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmark driver (Tests/Benchmarks): not shipped.
        .executableTarget(
            name: "deployer-bench",
            dependencies: ["SigV4", "AWSCore", "DeployKit", "AWSTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "AWSTestSupport"], resources: [.copy("Vectors")]),
        // Scripted transport, clock and fixtures shared by the test targets.
        .target(name: "AWSTestSupport", dependencies: ["AWSCore", "SigV4"], path: "Tests/AWSTestSupport"),
        .testTarget(
            name: "AWSCoreTests",
            dependencies: [
                "AWSCore", "SigV4", "AWSTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // Run by the proxy tests with python3, not compiled.
            exclude: ["Support/connect_proxy.py"]
        ),
        .testTarget(name: "DeployKitTests", dependencies: ["DeployKit", "AWSCore", "SigV4", "AWSTestSupport"]),
        // Runs the built `deployer` binary end to end.
        .testTarget(name: "CLITests", dependencies: ["deployer", "AWSCore", "SigV4", "AWSTestSupport"], exclude: ["sso_portal.py", "nightly_by_hand.py"]),
    ]
)

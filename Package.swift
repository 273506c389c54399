// swift-tools-version: 6.1
import PackageDescription

// Dependencies point one way:
//   CKVM, Multiboot ← Hypervisor ← Exercises ← ExerciseCommands ← hypercourse
//   CCmarkGFM ← Markdown ← Site ← hypercourse
//   Common ← Exercises, Markdown, Site (what both sides need, so neither keeps a copy)
// Site never imports Hypervisor or Exercises: it reaches exercises through its own protocol,
// so it builds and tests on machines without KVM.
let package = Package(
    name: "Hypercourse",
    products: [
        .executable(name: "hypercourse", targets: ["hypercourse"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        // The development server (`hypercourse serve`). Without the ConfigurationSupport trait, which
        // would build swift-configuration for settings we pass in code.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
        // The offline editions' zip files (EPUB, the site in one file): deflate through zlib, and
        // entries written with the dates and permissions we give, so two builds are byte-identical.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19")
    ],
    targets: [
        // MARK: Below both sides
        .target(name: "Common"),

        // MARK: Hypervisor side
        .target(name: "CKVM"),
        // Pure parsing and planning of Multiboot kernels (ELF, the Multiboot header, QEMU's layout).
        .target(name: "Multiboot"),
        .target(name: "Hypervisor", dependencies: ["CKVM", "Multiboot"]),
        .target(name: "Exercises", dependencies: ["Hypervisor", "Multiboot", "Common"]),
        // What the exercise commands print (run's tables, JSON and summary; check's and promote's
        // lines): presentation, kept out of the engine.
        .target(name: "ExerciseCommands", dependencies: ["Exercises", "Hypervisor", "Multiboot", "Common"]),

        // MARK: Site side
        .systemLibrary(
            name: "CCmarkGFM",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .target(name: "Markdown", dependencies: ["CCmarkGFM", "Common"]),
        .target(
            name: "Site",
            dependencies: [
                "Markdown", "Common",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                // Only the server (Sources/Site/Server) uses these; they come with Hummingbird.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation")
            ],
            plugins: ["EmbedTheme"]
        ),
        // templates/ compiled into Site as Swift source, so the installed binary stands alone.
        // (Plugins/EmbedTheme/templates is a symlink to templates/: see the plugin for why.)
        .plugin(name: "EmbedTheme", capability: .buildTool(), dependencies: ["EmbedFiles"], exclude: ["templates"]),
        .executableTarget(name: "EmbedFiles", path: "Tools/EmbedFiles"),

        // MARK: Wiring
        .executableTarget(
            name: "hypercourse",
            dependencies: [
                "Hypervisor", "Exercises", "ExerciseCommands", "Site", "Common",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]
        ),

        // MARK: Benchmarks (release-mode programs, run by bench/site/run.py)
        .executableTarget(name: "MarkdownBench", dependencies: ["Markdown"], path: "bench/site/MarkdownBench"),

        // MARK: Tests
        .testTarget(name: "CommonTests", dependencies: ["Common"]),
        .testTarget(name: "MultibootTests", dependencies: ["Multiboot"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "Multiboot", "Common"], exclude: ["Kernels"]),
        .testTarget(name: "MarkdownTests", dependencies: ["Markdown", "CCmarkGFM", "Common"]),
        .testTarget(
            name: "SiteTests", dependencies: ["Site", "Common", .product(name: "Yams", package: "Yams")], exclude: ["Fixtures"]),
        .testTarget(name: "ExercisesTests", dependencies: ["Exercises", "Hypervisor", "Common"]),
        .testTarget(name: "ExerciseCommandsTests", dependencies: ["ExerciseCommands", "Exercises", "Hypervisor"]),
        // End to end: Site + the exercise provider + the CLI's adapter, into HTML, and the built binary.
        .testTarget(
            name: "HypercourseTests", dependencies: ["hypercourse", "Exercises", "Site", "Hypervisor", "Common"], exclude: ["Fixtures"])
    ]
)

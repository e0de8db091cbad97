// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top: JSON (the hand-written JSON text writer) knows
// nothing; Domain and Transport and Protocol know nothing of each other
// (Domain and Protocol both write JSON with JSON); Store knows Domain; Bus knows Protocol, Domain and Store;
// ServerKit wires Transport to Bus. Executables sit on top.
// The store's operations are `async`; SQLite's are synchronous underneath.
// With nonisolated async functions running on their caller's executor, an
// await of one runs it inline, with no hop to the global executor: what
// lets the bus run a SQLite call to its end within `Task.immediate`
// (Sources/ProfilesStore/ProfileStore.swift).
let storeConcurrency: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "profiles",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "profiles-server", targets: ["profiles-server"]),
        .executable(name: "profiles-cli", targets: ["profiles-cli"]),
        .executable(name: "profiles-bench", targets: ["profiles-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // SHA-256 for profiles-cli import's idempotency keys; already in the
        // graph through postgres-nio, with its version range.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.9.0" ..< "6.0.0"),
    ],
    targets: [
        .target(name: "ProfilesTransport", dependencies: [
            "CProfilesEpoll",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // <sys/epoll.h> for the transport's event loops (Swift's Glibc
        // module does not export it); a system header, no library.
        .target(name: "CProfilesEpoll"),
        .target(name: "ProfilesJSON"),
        .target(name: "ProfilesProtocol", dependencies: ["ProfilesJSON"]),
        .target(name: "ProfilesDomain", dependencies: ["ProfilesJSON"]),
        // The store's interface (`ProfileStore`) and the values it speaks
        // in; one module per backend implements it.
        .target(name: "ProfilesStore", dependencies: ["ProfilesDomain"], swiftSettings: storeConcurrency),
        // The embedded default: one SQLite file through GRDB.
        .target(name: "ProfilesSQLite", dependencies: [
            "ProfilesDomain", "ProfilesStore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: storeConcurrency),
        // Many nodes on one PostgreSQL database, through postgres-nio.
        .target(name: "ProfilesPostgres", dependencies: [
            "ProfilesDomain", "ProfilesStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: storeConcurrency),
        // `profiles-server migrate`: a SQLite file copied into an empty
        // PostgreSQL database, read-only on the SQLite side.
        .target(name: "ProfilesCopy", dependencies: [
            "ProfilesDomain", "ProfilesSQLite", "ProfilesPostgres",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ProfilesBus", dependencies: [
            "ProfilesProtocol", "ProfilesDomain", "ProfilesStore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: storeConcurrency),
        .target(name: "ProfilesServerKit", dependencies: [
            "ProfilesTransport", "ProfilesProtocol", "ProfilesBus", "ProfilesStore", "ProfilesSQLite", "ProfilesPostgres",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "profiles-server", dependencies: [
            "ProfilesServerKit", "ProfilesPostgres", "ProfilesSQLite", "ProfilesStore", "ProfilesCopy",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // ProfilesCLIKit holds what tests import. The prompt's line editing
        // loads libedit at run time (Sources/profiles-cli/LibEdit.swift), so
        // no target needs a C library's headers beyond SQLite's (for GRDB);
        // ExecutableTests' BareBuildTests keep it so.
        .target(name: "ProfilesCLIKit", dependencies: ["ProfilesProtocol", "ProfilesDomain"]),
        .executableTarget(name: "profiles-cli", dependencies: [
            "ProfilesCLIKit", "ProfilesProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "profiles-bench", dependencies: [
            "ProfilesSQLite", "ProfilesStore", "ProfilesDomain",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .target(name: "ProfilesTestSupport", dependencies: [
            "ProfilesServerKit", "ProfilesStore", "ProfilesSQLite", "ProfilesPostgres",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/ProfilesTestSupport"),
        .testTarget(name: "TransportTests", dependencies: ["ProfilesTransport", "ProfilesTestSupport"]),
        .testTarget(name: "ProtocolUnitTests", dependencies: ["ProfilesProtocol", "ProfilesTestSupport"]),
        .testTarget(name: "DomainTests", dependencies: ["ProfilesDomain", "ProfilesTestSupport"]),
        .testTarget(name: "CLIKitTests", dependencies: ["ProfilesCLIKit", "ProfilesProtocol"]),
        .testTarget(name: "ServerTests", dependencies: [
            "ProfilesTestSupport", "ProfilesServerKit", "ProfilesStore", "ProfilesSQLite", "ProfilesBus", "ProfilesProtocol",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Start a throwaway PostgreSQL cluster (scripts/pg-cluster.sh) or
        // use PROFILES_TEST_PG_URL; a fresh database per test.
        // MigrateTests fill a SQLite file through a real server
        // (ProfilesTestSupport) and run `profiles-server migrate` on it.
        .testTarget(name: "PostgresTests", dependencies: [
            "ProfilesPostgres", "ProfilesCopy", "ProfilesSQLite", "ProfilesStore", "ProfilesTestSupport", "profiles-server",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ExecutableTests", dependencies: [
            "ProfilesTestSupport", "ProfilesServerKit", "ProfilesSQLite", "ProfilesStore", "ProfilesPostgres", "profiles-server", "profiles-cli",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

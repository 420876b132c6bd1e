// swift-tools-version:6.0
import PackageDescription

/// One per `FuzzTarget` case (Tests/Fuzz/FuzzTargets/FuzzTarget.swift).
let fuzzers = ["RequestHead", "ManifestKinds", "ChartArchive", "Provenance", "Multipart", "Configuration", "Htpasswd",
               "UntrustedYAML", "OpenPGPPackets", "OCIManifest", "JWTSegments"]

let package = Package(
    name: "ChartWarden",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chartwarden", targets: ["chartwarden"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The admin console's server-rendered pages (Sources/Server/Console).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // OIDC workload identity: JWT signatures (RS256, ES256, …) and JWKS.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // Fetching OIDC issuers' JWKS over HTTPS.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // C libraries from Debian: thin system-library targets, nothing else.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CGPGME", pkgConfig: "gpgme", providers: [.apt(["libgpgme-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        // Function wrappers for C macros Swift cannot import.
        .target(name: "CShims", dependencies: ["COpenSSL", "CArchive"]),

        .target(name: "OpenSSLSupport", dependencies: ["COpenSSL", "CShims"]),
        // The only reader for YAML that uploaders write (Chart.yaml, prov bodies), on libyaml events.
        .target(name: "UntrustedYAML", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "ChartModel", dependencies: [
            "UntrustedYAML", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "ChartArchive", dependencies: [
            "CArchive", "CShims", "ChartModel", "OpenSSLSupport", "UntrustedYAML",
            // Only for the types of the composed tree (`Node`, `Tag`); reading goes through UntrustedYAML.
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "ContentPolicy", dependencies: ["ChartArchive"]),
        .target(name: "ChartIndex", dependencies: [
            "ChartModel", "ChartArchive", "OpenSSLSupport", "UntrustedYAML",
            // ByteBuffer only: the served index is a chain of buffers shared with every response.
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "Credentials", dependencies: ["CCrypt"]),
        .target(name: "OpenPGP", dependencies: ["CGPGME"]),
        .target(name: "Provenance", dependencies: [
            "OpenPGP", "OpenSSLSupport", "UntrustedYAML", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "Storage", dependencies: [
            "ChartModel", "OpenSSLSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The PostgreSQL stores behind the same protocols, for several replicas on one database.
        .target(name: "PostgresStorage", dependencies: [
            "Storage", "ChartModel", "OpenSSLSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TLS", dependencies: [
            "COpenSSL", "CShims",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ]),
        // The domain: configuration, principals and access rules, ingest, trust, the catalog of
        // served snapshots and the audit log. No HTTP and no listeners (docs/ARCHITECTURE.md).
        .target(name: "ChartWardenCore", dependencies: [
            "ChartModel", "ChartArchive", "ChartIndex", "Storage", "PostgresStorage", "OpenSSLSupport", "Credentials",
            "OpenPGP", "Provenance", "ContentPolicy",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        // The HTTP adapters over the core: routes, the fast path, listeners, middleware.
        .target(name: "Server", dependencies: [
            "ChartWardenCore", "TLS", "ChartModel", "ChartArchive", "ChartIndex", "Storage", "OpenSSLSupport", "Credentials",
            "OpenPGP", "Provenance", "ContentPolicy",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .executableTarget(name: "chartwarden", dependencies: [
            "ChartModel", "ChartArchive", "ChartIndex", "Storage", "PostgresStorage", "OpenSSLSupport", "ChartWardenCore", "Server",
            "Credentials", "OpenPGP", "Provenance", "ContentPolicy",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks (bench/): built in release mode by the bench scripts, never by the tests.
        .executableTarget(name: "chartwarden-bench", dependencies: [
            "ChartIndex", "ChartModel", "ChartArchive", .product(name: "Yams", package: "Yams"),
        ]),

        .testTarget(name: "OpenSSLSupportTests", dependencies: ["OpenSSLSupport"]),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials"]),
        // Signing with the committed test keys (keys-test/pgp), for the test targets only.
        .target(name: "PGPTestSupport", path: "Tests/PGPTestSupport"),
        .testTarget(name: "OpenPGPTests", dependencies: ["OpenPGP", "PGPTestSupport"]),
        .testTarget(name: "ProvenanceTests", dependencies: ["Provenance", "OpenPGP", "OpenSSLSupport", "PGPTestSupport"]),
        .testTarget(name: "UntrustedYAMLTests", dependencies: ["UntrustedYAML", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "ChartModelTests", dependencies: ["ChartModel"]),
        .testTarget(name: "ChartArchiveTests", dependencies: ["ChartArchive", "ChartModel"]),
        .testTarget(name: "ContentPolicyTests", dependencies: ["ContentPolicy", "ChartArchive", "ChartModel"]),
        .testTarget(name: "ChartIndexTests", dependencies: [
            "ChartIndex", "ChartModel", "ChartArchive", "UntrustedYAML", .product(name: "Yams", package: "Yams"),
        ], exclude: ["Golden"]),
        .testTarget(name: "StorageTests", dependencies: [
            "Storage", "PostgresStorage", "ChartModel", "OpenSSLSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "TLSTests", dependencies: [
            "TLS", "COpenSSL",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "ChartWardenCoreTests", dependencies: [
            "ChartWardenCore", "Storage", "PostgresStorage", "ChartModel", "Credentials", "ContentPolicy", "OpenPGP", "Provenance",
            "OpenSSLSupport", "PGPTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "ChartWardenCore", "TLS", "Storage", "ChartModel",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Mustache", package: "swift-mustache"),
        ]),

        // Fuzzers (Tests/Fuzz, run by scripts/fuzz.sh): one libFuzzer executable per parser that reads
        // untrusted bytes. The plain build makes them replay tools for crash inputs.
        .target(name: "CFuzzer", path: "Tests/Fuzz/CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "Tests/Fuzz/FuzzSupport"),
        .target(name: "FuzzTargets", dependencies: [
            "Server", "ChartWardenCore", "ChartArchive", "Provenance", "OpenPGP", "Credentials", "UntrustedYAML",
        ], path: "Tests/Fuzz/FuzzTargets"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "FuzzSupport"],
                    path: "Tests/Fuzz/RegressionTests"),
    ] + fuzzers.map { name in
        .executableTarget(name: "Fuzz" + name, dependencies: ["FuzzTargets", "FuzzSupport"], path: "Tests/Fuzz/" + name)
    },
    swiftLanguageModes: [.v6]
)

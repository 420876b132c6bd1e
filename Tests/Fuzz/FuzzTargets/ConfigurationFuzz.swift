import ChartWardenCore

/// The configuration reader (`chartwarden.yaml`: YAML, then every section's keys and values).
enum ConfigurationFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = try? ChartWardenConfiguration.parse(yaml: String(decoding: bytes, as: UTF8.self))
    }
}

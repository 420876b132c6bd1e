import Foundation

/// The configuration file every command reads (README, "Configuration"): `--config`, else
/// `$CHARTWARDEN_CONFIG`, else `config/chartwarden.yaml`.
enum ConfigurationPath {
    static func resolve(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["CHARTWARDEN_CONFIG"] ?? "config/chartwarden.yaml"
    }
}

import Foundation

/// The one JSON encoder configuration of the index: keys sorted (byte order, as Go's `encoding/json`
/// writes maps and as the YAML form orders them), slashes unescaped, compact.
enum IndexJSON {
    static func encode<Value: Encodable>(_ value: Value) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Only strings, bools, arrays and string-keyed objects reach the encoder: nothing in them can fail.
            preconditionFailure("index JSON encoding failed: \(error)")
        }
    }

    /// The whole JSON index document, encoded at once: what the fragment chain must equal.
    struct Document: Encodable {
        let apiVersion = "v1"
        let entries: [String: [IndexValue]]
        let generated: String
    }

    /// Splices between encoder outputs. `JSONEncoder` cannot embed already-encoded fragments, so
    /// the chain joins them with the punctuation the encoder itself writes for `Document`
    /// (`FragmentIndexTests` checks the joined chain equals the encoder's whole-document output).
    static let header: [UInt8] = Array(#"{"apiVersion":"v1","entries":{"#.utf8)
    static let entrySeparator: [UInt8] = [UInt8(ascii: ",")]
    static let nameSeparator: [UInt8] = [UInt8(ascii: ":")]
    static let trailerBeforeGenerated: [UInt8] = Array(#"},"generated":"#.utf8)
    static let trailerEnd: [UInt8] = Array("}\n".utf8)
}

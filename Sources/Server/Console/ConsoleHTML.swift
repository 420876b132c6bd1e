import Mustache

/// The console's HTML escaping, installed as the templates' content type (`CONSOLE_HTML`).
/// swift-mustache's own HTML type walks the text by `Character` (grapheme cluster), so a special
/// character joined to a Prepend or Extend scalar (U+0600 then `<`, `"` then U+0301) is one
/// cluster missing from its table and is written raw, while the browser reads bytes. This escapes
/// every `<`, `>`, `&`, `"` and `'` Unicode scalar, whatever surrounds it.
struct ConsoleHTML: MustacheContentType {
    /// The name the templates' `{{% CONTENT_TYPE: … }}` pragma uses.
    static let name = "CONSOLE_HTML"

    /// Put first in every template and partial: the library resets the content type to its own
    /// HTML type when it enters a partial, so each one must choose this type itself.
    static let pragma = "{{% CONTENT_TYPE: \(name)}}"

    func escapeText(_ text: String) -> String { Self.escape(text) }

    static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        escaped.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}

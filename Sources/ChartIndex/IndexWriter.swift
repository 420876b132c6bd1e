import UntrustedYAML

/// Writes index values as block YAML (the JSON form goes through `IndexJSON`, a real encoder).
///
/// A general YAML library would build a node tree and re-check every scalar; index.yaml has a fixed
/// shape and is rewritten on every upload, so it is written directly. Every string is emitted as a
/// double-quoted scalar, escaped so that no value can be mistaken for a number, a bool or null, and
/// no text in a chart can break the structure.
enum IndexWriter {
    static func appendQuoted(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    out.append(UInt8(ascii: "\\"))
                    out.append(byte)
                case UInt8(ascii: "\n"):
                    out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"):
                    out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"):
                    out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                case 0..<0x20, 0x7f:
                    appendUnicodeEscape(UInt32(byte), to: &out)
                // Only these lead bytes start code points that need escaping: C1 controls and NEL
                // (U+0080–U+009F), the line and paragraph separators (U+2028/9), the BOM and the
                // non-characters U+FFFE/U+FFFF. Go's YAML reader refuses the whole index.yaml
                // when any of them is raw, and YAML 1.1 readers break lines at NEL and U+2028/9.
                case 0xc2, 0xe2, 0xef:
                    let width = byte == 0xc2 ? 2 : 3
                    guard index + width <= bytes.count else { out.append(byte); break }
                    let scalar = byte == 0xc2
                        ? UInt32(byte & 0x1f) << 6 | UInt32(bytes[index + 1] & 0x3f)
                        : UInt32(byte & 0x0f) << 12 | UInt32(bytes[index + 1] & 0x3f) << 6 | UInt32(bytes[index + 2] & 0x3f)
                    if Self.mustEscape(scalar) {
                        appendUnicodeEscape(scalar, to: &out)
                    } else {
                        out.append(contentsOf: bytes[index..<(index + width)])
                    }
                    index += width - 1
                default:
                    out.append(byte)
                }
                index += 1
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Code points written as `\uXXXX` (`YAMLPrintable.mustEscape`). Scalars from U+10000 up are
    /// printable, so four hex digits always suffice (a Swift string holds no surrogates).
    static func mustEscape(_ scalar: UInt32) -> Bool {
        guard let value = Unicode.Scalar(scalar) else { return true }
        return YAMLPrintable.mustEscape(value)
    }

    private static func appendUnicodeEscape(_ value: UInt32, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hex[Int((value >> UInt32(shift)) & 0xf)])
        }
    }

    // MARK: YAML

    /// A scalar or collection in YAML flow style (double-quoted strings), on one line.
    static func appendFlow(_ value: IndexValue, to out: inout [UInt8]) {
        switch value {
        case .string(let string):
            appendQuoted(string, to: &out)
        case .bool(let bool):
            out.append(contentsOf: (bool ? "true" : "false").utf8)
        case .list(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendFlow(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .map(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, field) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendQuoted(field.0, to: &out)
                out.append(UInt8(ascii: ":"))
                appendFlow(field.1, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The line that opens one chart's part of `entries:`; its versions' list items follow.
    static func appendYAMLFragmentHead(name: String, to out: inout [UInt8]) {
        out.append(contentsOf: "  ".utf8)
        appendKey(name, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// Writes `value` as a sequence item (`- key: ...`) whose dash sits at `indent` spaces.
    static func appendYAMLListItem(_ value: IndexValue, indent: Int, to out: inout [UInt8]) {
        appendSpaces(indent, to: &out)
        out.append(contentsOf: [UInt8(ascii: "-"), UInt8(ascii: " ")])
        switch value {
        case .map(let fields) where !fields.isEmpty:
            appendYAMLMapping(fields, indent: indent + 2, firstLineIndented: true, to: &out)
        default:
            appendYAMLInline(value, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes mapping fields at `indent`; the first key follows text already on the line when
    /// `firstLineIndented` is true (the `- ` of a list item).
    static func appendYAMLMapping(_ fields: [(String, IndexValue)], indent: Int, firstLineIndented: Bool, to out: inout [UInt8]) {
        for (index, (key, value)) in fields.enumerated() {
            if !(index == 0 && firstLineIndented) { appendSpaces(indent, to: &out) }
            appendKey(key, to: &out)
            switch value {
            case .list(let items) where !items.isEmpty:
                out.append(UInt8(ascii: "\n"))
                // Sequences inside a mapping sit at the mapping's own indentation, as Helm writes them.
                for item in items { appendYAMLListItem(item, indent: indent, to: &out) }
            case .map(let nested) where !nested.isEmpty:
                out.append(UInt8(ascii: "\n"))
                appendYAMLMapping(nested, indent: indent + 2, firstLineIndented: false, to: &out)
            default:
                out.append(UInt8(ascii: " "))
                appendYAMLInline(value, to: &out)
                out.append(UInt8(ascii: "\n"))
            }
        }
    }

    /// Scalars and empty collections, which fit on one line in flow style.
    private static func appendYAMLInline(_ value: IndexValue, to out: inout [UInt8]) {
        switch value {
        case .list(let items) where items.isEmpty: out.append(contentsOf: "[]".utf8)
        case .map(let fields) where fields.isEmpty: out.append(contentsOf: "{}".utf8)
        default: appendFlow(value, to: &out)
        }
    }

    /// Keys Helm defines are plain words; anything else (annotation keys) is quoted.
    static func appendKey(_ key: String, to out: inout [UInt8]) {
        let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        } && key.utf8.first.map { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) && $0 != UInt8(ascii: "-") } == true
            && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"].contains(key.lowercased())
        if plain {
            out.append(contentsOf: key.utf8)
        } else {
            appendQuoted(key, to: &out)
        }
        out.append(UInt8(ascii: ":"))
    }

    private static func appendSpaces(_ count: Int, to out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
    }
}

/// YAML 1.2's printable set (§5.1, `c-printable`): the only code points a YAML stream may carry
/// raw. Go's YAML reader, and so Helm, rejects a whole index.yaml holding any other.
public enum YAMLPrintable {
    public static func allowsRaw(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0a, 0x0d, 0x20...0x7e, 0x85, 0xa0...0xd7ff, 0xe000...0xfffd, 0x10000...0x10ffff:
            // The BOM is printable but means "byte order" at the start of a stream; never raw inside text.
            return scalar.value != 0xfeff
        default:
            return false
        }
    }

    /// NEL and the line and paragraph separators: printable in YAML 1.2, but YAML 1.1 readers
    /// break lines at them, so they are never written raw either.
    public static func isYAML11LineBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// Code points a writer must escape inside a double-quoted scalar.
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        !allowsRaw(scalar) || isYAML11LineBreak(scalar)
    }

    /// Whether `scalar` may stand in a single-line key: nothing escaped, no tab and no line break.
    public static func fitsInKey(_ scalar: Unicode.Scalar) -> Bool {
        !mustEscape(scalar) && scalar != "\t" && scalar != "\n" && scalar != "\r"
    }

    /// `text` cut to its first 64 code points, for quoting uploader text in an error message.
    public static func excerpt(_ text: String) -> String {
        text.unicodeScalars.count <= 64 ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(64))) + "…"
    }
}

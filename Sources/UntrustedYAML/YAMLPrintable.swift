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
}

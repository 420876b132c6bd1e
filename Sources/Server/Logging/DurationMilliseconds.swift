/// A request duration logged as milliseconds with two decimals, formatted only when the line is
/// written (on the log writer's thread), not on the event loop that served the request.
struct DurationMilliseconds: CustomStringConvertible, Sendable {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    /// Hundredths of a millisecond, rounded half up (what `%.2f` prints).
    private var hundredths: Int64 {
        let thousandths = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        return (thousandths + 5) / 10
    }

    var description: String {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same text, written into a log line's bytes.
    func append(to out: inout [UInt8]) {
        let hundredths = hundredths
        LogBytes.appendDecimal(Int(hundredths / 100), to: &out)
        out.append(UInt8(ascii: "."))
        let fraction = Int(hundredths % 100)
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}

/// A request duration logged as milliseconds with two decimals, formatted only when the line is
/// written (on the log writer's thread), not on the event loop that served the request.
struct DurationMilliseconds: CustomStringConvertible, Sendable {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    var description: String {
        // Thousandths of a millisecond, rounded half up to hundredths (what `%.2f` prints).
        let thousandths = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let hundredths = (thousandths + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}

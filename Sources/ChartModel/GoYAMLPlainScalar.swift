/// How Helm reads a plain (unquoted) Chart.yaml scalar. goyaml.v2 resolves it the YAML 1.1 way
/// (`yes`/`on`/`y` are bools, `010` is octal 8, `0x1f` and `1_000` are ints, `1.10` is a float,
/// `~` is null), then sigs.k8s.io/yaml writes a number or bool bound for a Go string back as text
/// in Go's own format (`1.10` → `1.1`, `yes` → `true`, `1e3` → `1000`), and a null leaves the
/// string empty. We read the text as written, so wherever the two differ the chart is refused.
enum GoYAMLPlainScalar {
    enum Resolved: Equatable {
        case string
        /// In decimal, as `strconv.FormatInt`/`FormatUint` writes it.
        case integer(String)
        case float(Double)
        case bool(Bool)
        case null
    }

    private static let resolvedByName: [String: Resolved] = {
        var table: [String: Resolved] = [:]
        for name in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] { table[name] = .bool(true) }
        for name in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] { table[name] = .bool(false) }
        for name in ["", "~", "null", "Null", "NULL"] { table[name] = .null }
        for name in [".nan", ".NaN", ".NAN"] { table[name] = .float(.nan) }
        for name in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] { table[name] = .float(.infinity) }
        for name in ["-.inf", "-.Inf", "-.INF"] { table[name] = .float(-.infinity) }
        return table
    }()

    /// goyaml.v2's `resolve` for an untagged plain scalar.
    static func resolve(_ text: String) -> Resolved {
        if let known = resolvedByName[text] { return known }
        switch text.utf8.first ?? 0 {
        case UInt8(ascii: "."):
            if text.wholeMatch(of: #/\.[0-9]+([eE][-+]?[0-9]+)?/#) != nil, let value = Double(text), value.isFinite {
                return .float(value)
            }
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Anything starting `YYYY-` is a timestamp or nothing numeric; Go keeps its text.
            if text.prefix(5).wholeMatch(of: #/[0-9]{4}-/#) != nil { return .string }
            let plain = String(text.filter { $0 != "_" })
            if let integer = goInteger(plain) { return .integer(integer) }
            if plain.wholeMatch(of: #/[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?/#) != nil,
               let value = Double(plain), value.isFinite {
                return .float(value)
            }
        default:
            break
        }
        return .string
    }

    /// The text a Go `string` field receives; nil when it receives null (and stays empty).
    static func stringFieldValue(_ text: String) -> String? {
        switch resolve(text) {
        case .string: text
        case .integer(let decimal): decimal
        case .float(let value): formatFloat32(value)
        case .bool(let value): value ? "true" : "false"
        case .null: nil
        }
    }

    /// The key a Go `map[string]…` receives; nil when sigs.k8s.io/yaml refuses the key (null).
    static func mapKey(_ text: String) -> String? {
        switch resolve(text) {
        case .float(let value):
            switch formatFloat32(value) {
            case "+Inf": ".inf"
            case "-Inf": "-.inf"
            case "NaN": ".nan"
            case let formatted: formatted
            }
        default:
            stringFieldValue(text)
        }
    }

    /// `strconv.ParseInt(text, 0, 64)`, then `ParseUint(text, 0, 64)`: a sign, a `0x`/`0o`/`0b`
    /// prefix or a leading `0` for octal.
    private static func goInteger(_ text: String) -> String? {
        var digits = Substring(text)
        let sign = digits.first == "-" || digits.first == "+" ? digits.removeFirst() : nil
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] where digits.hasPrefix(prefix) {
            radix = base
            digits = digits.dropFirst(2)
        }
        if radix == 10, digits.count > 1, digits.first == "0" {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.hexDigitValue.map { $0 < radix } ?? false }),
              let magnitude = UInt64(digits, radix: radix) else { return nil }
        switch sign {
        case "-": return magnitude <= UInt64(Int64.max) + 1 ? (magnitude == 0 ? "0" : "-\(magnitude)") : nil
        // ParseUint takes no sign, so `+` limits the value to an int64.
        case "+": return magnitude <= UInt64(Int64.max) ? "\(magnitude)" : nil
        default: return "\(magnitude)"
        }
    }

    /// `strconv.FormatFloat(value, 'g', -1, 32)`: the shortest digits that identify the float32,
    /// in exponent form when the decimal exponent is below -4 or at least 6 (`1e+06`, `1e-05`).
    static func formatFloat32(_ value: Double) -> String {
        let float = Float(value)
        if float.isNaN { return "NaN" }
        if float.isInfinite { return float < 0 ? "-Inf" : "+Inf" }
        let sign = float.sign == .minus ? "-" : ""
        if float == 0 { return sign + "0" }
        // Swift's description carries the same shortest round-trip digits; only the layout differs.
        let description = "\(abs(float))"
        let parts = description.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = mantissa[0]
        var digits = Array(integerPart + (mantissa.count > 1 ? mantissa[1] : ""))
        var point = integerPart.count + (parts.count > 1 ? Int(parts[1])! : 0)
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let exponent = point - 1
        if exponent < -4 || exponent >= 6 {
            let fraction = digits.count > 1 ? "." + String(digits.dropFirst()) : ""
            let magnitude = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
            return sign + String(digits[0]) + fraction + "e" + (exponent < 0 ? "-" : "+") + magnitude
        }
        if point <= 0 {
            return sign + "0." + String(repeating: "0", count: -point) + String(digits)
        }
        let whole = String(digits.prefix(point)) + String(repeating: "0", count: max(0, point - digits.count))
        return sign + whole + (digits.count > point ? "." + String(digits.dropFirst(point)) : "")
    }
}

/// How Go's encoding/json (which reads Chart.yaml for Helm, through sigs.k8s.io/yaml) matches an
/// object key to a struct field when no field has exactly that name: by Unicode simple case
/// folding (`foldRune`, the smallest rune of each `unicode.SimpleFold` orbit). Helm's field names
/// are ASCII, and the only non-ASCII runes whose orbit holds an ASCII letter are U+017F (ſ, with
/// s/S) and U+212A (the Kelvin sign, with k/K); U+0130 (İ) and U+0131 (ı) are orbits of their own.
enum GoFieldNameFold {
    static func fold(_ key: String) -> String {
        var folded = String.UnicodeScalarView()
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z": folded.append(Unicode.Scalar(scalar.value + 0x20)!)
            case "\u{17F}": folded.append("s")
            case "\u{212A}": folded.append("k")
            default: folded.append(scalar)
            }
        }
        return String(folded)
    }
}

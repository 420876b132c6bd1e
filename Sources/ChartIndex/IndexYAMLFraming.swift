/// The lines of index.yaml around the chart fragments.
enum IndexYAMLFraming {
    static func header(empty: Bool) -> [UInt8] {
        Array((empty ? "apiVersion: v1\nentries: {}\n" : "apiVersion: v1\nentries:\n").utf8)
    }

    static func generatedLine(_ generated: String) -> [UInt8] {
        var out = Array("generated: ".utf8)
        IndexWriter.appendQuoted(generated, to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

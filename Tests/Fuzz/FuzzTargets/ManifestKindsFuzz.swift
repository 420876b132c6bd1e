import ChartArchive

/// The manifest kind scanner on a chart's template files. The input is split at NUL bytes into
/// files, so defines in one file are used by another as in a chart: a template, a partial, a CRD,
/// then more templates.
enum ManifestKindsFuzz {
    static func run(_ bytes: [UInt8]) {
        let paths = ["templates/a.yaml", "templates/_helpers.tpl", "crds/c.yaml"]
        let sources = bytes.split(separator: 0, omittingEmptySubsequences: false).enumerated().map { index, text in
            ManifestKindScanner.Source(file: index < paths.count ? paths[index] : "templates/t\(index).yaml",
                                       text: String(decoding: text, as: UTF8.self))
        }
        _ = ManifestKindScanner().scan(sources)
    }
}

import ChartModel

/// Reads a packaged chart (`.tgz`) through libarchive and returns it only if every check passes.
///
/// The archive is streamed entry by entry, and every limit is enforced while decompressing, so a
/// bomb is stopped after at most `maxTotalBytes`. Only Chart.yaml, templates, CRDs and subchart
/// archives are kept, long enough for the content scan once the chart is read; subchart archives
/// are read recursively under the same limits.
public struct ChartArchiveReader: Sendable {
    public var limits: ChartArchiveLimits

    public init(limits: ChartArchiveLimits = .default) {
        self.limits = limits
    }

    public func read(bytes: [UInt8]) throws(ChartArchiveError) -> ChartPackage {
        var budget = Budget()
        var sources: [ManifestKindScanner.Source] = []
        return scanned(try read(bytes: bytes, budget: &budget, depth: 0, prefix: "", sources: &sources), sources)
    }

    public func read(path: String) throws(ChartArchiveError) -> ChartPackage {
        let handle = ArchiveReadHandle()
        try handle.open(path: path)
        var budget = Budget()
        var sources: [ManifestKindScanner.Source] = []
        return scanned(try read(from: handle, budget: &budget, depth: 0, prefix: "", sources: &sources), sources)
    }

    /// Templates are scanned together once the whole chart is read: defines are shared by a
    /// chart and its subcharts, as in Helm.
    private func scanned(_ package: ChartPackage, _ sources: [ManifestKindScanner.Source]) -> ChartPackage {
        ChartPackage(metadata: package.metadata, chartYAML: package.chartYAML, hasValues: package.hasValues,
                     files: package.files, manifestKinds: ManifestKindScanner().scan(sources),
                     manifestFileCount: package.manifestFileCount)
    }

    /// Entries and bytes used so far, shared by a chart and every subchart archive inside it, so
    /// nesting cannot multiply the limits.
    struct Budget {
        var entries = 0
        var bytes: Int64 = 0
    }

    private func read(bytes: [UInt8], budget: inout Budget, depth: Int, prefix: String,
                      sources: inout [ManifestKindScanner.Source]) throws(ChartArchiveError) -> ChartPackage {
        // The buffer is only valid inside the closure, so the whole read happens there.
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(ChartArchiveError) in
                let handle = ArchiveReadHandle()
                try handle.open(memory: buffer)
                return try read(from: handle, budget: &budget, depth: depth, prefix: prefix, sources: &sources)
            }
        }.get()
    }

    private func read(from handle: ArchiveReadHandle, budget: inout Budget, depth: Int, prefix: String,
                      sources: inout [ManifestKindScanner.Source]) throws(ChartArchiveError) -> ChartPackage {
        var topLevel: String?
        var seenPaths = Set<String>()
        var files: [ChartPackage.File] = []
        var chartYAML: [UInt8]?
        var hasValues = false
        var entryCount = 0
        var contentBytes: Int64 = 0
        var manifestFileCount = 0
        // Names of the subcharts shipped under charts/ (archives by their chart name, directories by theirs).
        var vendored = Set<String>()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }

        while case .header(let header) = try handle.nextHeader() {
            if entryCount == 0, !handle.isGzipCompressed {
                throw ChartArchiveError(.notGzipTar, "the upload is a tar archive without gzip compression; Helm charts are .tgz files")
            }
            entryCount += 1
            budget.entries += 1
            if budget.entries > limits.maxEntries {
                throw ChartArchiveError(.tooManyEntries, "the archive has more than \(limits.maxEntries) entries")
            }
            let components = try Self.safeComponents(of: header.path)
            try Self.checkKind(header)

            let root = components[0]
            if let topLevel, topLevel != root {
                throw ChartArchiveError(.multipleTopLevelDirectories,
                                        "the archive has more than one top-level directory ('\(topLevel)' and '\(root)')")
            }
            topLevel = root
            if components.count == 1 && header.kind != .directory {
                throw ChartArchiveError(.multipleTopLevelDirectories,
                                        "'\(header.path)' is a file at the top level; a chart archive holds one directory named after the chart")
            }
            let innerPath = components.dropFirst().joined(separator: "/")
            if header.kind == .directory { continue }
            guard seenPaths.insert(innerPath).inserted else {
                throw ChartArchiveError(.duplicateEntry, "'\(header.path)' appears more than once in the archive")
            }
            if let declared = header.declaredSize, declared > limits.maxFileBytes {
                throw fileTooLarge(header.path)
            }

            let role = Self.role(of: Array(components.dropFirst()))
            let keep = innerPath == "Chart.yaml" || role != nil || Self.isValuesFile(Array(components.dropFirst()))
            var kept: [UInt8] = []
            var fileBytes: Int64 = 0
            while true {
                let count = try handle.readData(into: chunk)
                if count == 0 { break }
                fileBytes += Int64(count)
                contentBytes += Int64(count)
                budget.bytes += Int64(count)
                if fileBytes > limits.maxFileBytes { throw fileTooLarge(header.path) }
                if budget.bytes > limits.maxTotalBytes {
                    throw ChartArchiveError(.totalTooLarge, "the chart unpacks to more than \(limits.maxTotalBytes) bytes")
                }
                try checkCompressionRatio(handle, contentBytes: contentBytes)
                if keep { kept.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count])) }
            }
            files.append(ChartPackage.File(path: innerPath, size: fileBytes))
            // Go keeps bytes that are not UTF-8 and joins them (`\xC2` … `\x85` is a NEL once an
            // action between them prints nothing); decoded here they would be U+FFFD: refused.
            // (The chart's own Chart.yaml is refused below, as invalid.)
            if keep, role != .subchartArchive, innerPath != "Chart.yaml" || !prefix.isEmpty,
               String(validating: kept, as: UTF8.self) == nil {
                throw ChartArchiveError(.notUTF8, "'\(prefix + innerPath)' is not UTF-8 text")
            }
            switch role {
            case .manifest(let chartPath):
                // Chart.yaml is read for what `.Chart` can print, not as a manifest.
                if chartPath != "Chart.yaml" { manifestFileCount += 1 }
                sources.append(ManifestKindScanner.Source(file: prefix + innerPath, chartPath: chartPath,
                                                          text: String(decoding: kept, as: UTF8.self)))
            case .subchartArchive:
                guard depth < limits.maxSubchartDepth else {
                    throw ChartArchiveError(.subchartTooDeep,
                                            "'\(prefix + innerPath)' nests subchart archives more than \(limits.maxSubchartDepth) deep")
                }
                let subchart: ChartPackage
                do {
                    subchart = try read(bytes: kept, budget: &budget, depth: depth + 1, prefix: prefix + innerPath + "!/",
                                        sources: &sources)
                } catch {
                    if error.message.hasPrefix(prefix + innerPath) { throw error }
                    throw ChartArchiveError(error.code, "subchart \(prefix + innerPath): \(error.message)")
                }
                manifestFileCount += subchart.manifestFileCount
                vendored.insert(subchart.metadata.name)
            case nil:
                // values.yaml defaults that are the author's text (`ValueDefaults`).
                if Self.isValuesFile(Array(components.dropFirst())) {
                    sources.append(ManifestKindScanner.Source(file: prefix + innerPath, chartPath: "values.yaml",
                                                              text: String(decoding: kept, as: UTF8.self)))
                }
            }
            if innerPath == "Chart.yaml" { chartYAML = kept }
            if components.count == 4, components[1] == "charts", components[3] == "Chart.yaml" { vendored.insert(components[2]) }
            if innerPath == "values.yaml" { hasValues = true }
        }

        guard let topLevel, entryCount > 0 else {
            throw ChartArchiveError(.empty, "the archive contains no files")
        }
        guard let chartYAML else {
            throw ChartArchiveError(.missingChartYAML, "the archive has no '\(topLevel)/Chart.yaml'")
        }
        guard let text = String(validating: chartYAML, as: UTF8.self) else {
            throw ChartArchiveError(.invalidChartYAML, "Chart.yaml is not UTF-8 text")
        }
        let metadata: ChartMetadata
        do {
            metadata = try ChartMetadata.parse(chartYAML: text)
        } catch {
            throw ChartArchiveError(.invalidChartYAML, error.message)
        }
        // `helm install --dependency-update` fetches a dependency missing from charts/, which
        // no scan here has seen: every dependency must ship in the archive.
        for dependency in metadata.dependencies ?? [] where !vendored.contains(dependency.name) {
            throw ChartArchiveError(.dependencyNotVendored,
                                    "dependency '\(dependency.name)' in \(prefix)Chart.yaml is not vendored under charts/; Helm would fetch it at install time, unscanned (package it with `helm package --dependency-update`)")
        }
        guard metadata.name == topLevel else {
            throw ChartArchiveError(.topLevelNameMismatch,
                                    "the top-level directory '\(topLevel)' does not match the chart name '\(metadata.name)'")
        }
        return ChartPackage(metadata: metadata, chartYAML: text, hasValues: hasValues, files: files,
                            manifestFileCount: manifestFileCount)
    }

    /// What an entry means to the content policy.
    enum EntryRole: Equatable {
        /// A template or CRD file; `chartPath` is relative to the (sub)chart it belongs to.
        case manifest(chartPath: String)
        /// `charts/NAME.tgz`: a packaged subchart, which Helm unpacks and renders like any other.
        case subchartArchive
    }

    /// `values.yaml` of the chart or of an unpacked subchart.
    static func isValuesFile(_ components: [String]) -> Bool {
        var rest = components[...]
        while rest.count >= 3, rest.first == "charts" { rest = rest.dropFirst(2) }
        return rest.count == 1 && rest.first == "values.yaml"
    }

    /// Unpacked subcharts (`charts/NAME/...`, at any depth) are charts of their own: their
    /// `templates/` and `crds/` count, judged relative to the subchart.
    static func role(of components: [String]) -> EntryRole? {
        var rest = components[...]
        while rest.count >= 3, rest.first == "charts" { rest = rest.dropFirst(2) }
        if rest.count == 2, rest.first == "charts", rest.last!.hasSuffix(".tgz") { return .subchartArchive }
        let chartPath = rest.joined(separator: "/")
        if chartPath == "Chart.yaml" { return .manifest(chartPath: chartPath) }
        return ManifestKindScanner.isManifestSource(chartPath) ? .manifest(chartPath: chartPath) : nil
    }

    private func fileTooLarge(_ path: String) -> ChartArchiveError {
        ChartArchiveError(.fileTooLarge, "'\(path)' is larger than \(limits.maxFileBytes) bytes")
    }

    /// Compares file content (not tar headers, which compress very well in charts made of many
    /// small files) with the compressed bytes consumed so far.
    private func checkCompressionRatio(_ handle: ArchiveReadHandle, contentBytes uncompressed: Int64) throws(ChartArchiveError) {
        guard uncompressed > limits.compressionRatioGraceBytes else { return }
        let compressed = max(handle.compressedBytesRead, 1)
        if uncompressed > compressed * limits.maxCompressionRatio {
            throw ChartArchiveError(.compressionRatio,
                                    "the archive expands more than \(limits.maxCompressionRatio):1 (a decompression bomb?)")
        }
    }

    /// Splits an entry path into components, refusing anything that could escape the chart directory.
    static func safeComponents(of path: String) throws(ChartArchiveError) -> [String] {
        guard !path.isEmpty else { throw ChartArchiveError(.unsafePath, "an entry has an empty path") }
        if path.hasPrefix("/") {
            throw ChartArchiveError(.unsafePath, "'\(path)' is an absolute path")
        }
        if path.contains("\\") || path.utf8.contains(0) {
            throw ChartArchiveError(.unsafePath, "'\(path)' contains a backslash or NUL")
        }
        // Helm writes each template's path into a `# Source:` comment line before its output:
        // a line break there would start a line of YAML the chart's author chose.
        if path.unicodeScalars.contains(where: Self.isControlOrLineBreak) {
            let shown = path.unicodeScalars.map { Self.isControlOrLineBreak($0) ? "?" : String($0) }.joined()
            throw ChartArchiveError(.unsafePath, "'\(shown)' contains a control character or line break")
        }
        var trimmed = Substring(path)
        if trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let components = trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for component in components {
            if component == ".." {
                throw ChartArchiveError(.unsafePath, "'\(path)' contains a '..' segment")
            }
            if component.isEmpty || component == "." {
                throw ChartArchiveError(.unsafePath, "'\(path)' contains an empty or '.' segment")
            }
        }
        return components
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    static func isControlOrLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    static func checkKind(_ header: ArchiveEntryHeader) throws(ChartArchiveError) {
        switch header.kind {
        case .regular, .directory:
            return
        case .symlink:
            throw ChartArchiveError(.link, "'\(header.path)' is a symbolic link (to '\(header.linkTarget ?? "")'); links are not allowed in charts")
        case .hardlink:
            throw ChartArchiveError(.link, "'\(header.path)' is a hard link (to '\(header.linkTarget ?? "")'); links are not allowed in charts")
        case .characterDevice, .blockDevice:
            throw ChartArchiveError(.specialFile, "'\(header.path)' is a device file")
        case .fifo:
            throw ChartArchiveError(.specialFile, "'\(header.path)' is a FIFO")
        case .socket, .unknown:
            throw ChartArchiveError(.specialFile, "'\(header.path)' is not a regular file or directory")
        }
    }
}

import CArchive
import CShims

/// Owns a libarchive read handle configured for gzip-compressed tar, and nothing more.
final class ArchiveReadHandle {
    enum Entry {
        case header(ArchiveEntryHeader)
        case end
    }

    private let archive: OpaquePointer

    init() {
        guard let archive = archive_read_new() else { fatalError("libarchive could not allocate a reader") }
        self.archive = archive
        // Only gzip and tar: every other filter or format is refused as "not a chart".
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
    }

    deinit {
        archive_read_free(archive)
    }

    /// The buffer must stay valid until the handle is released.
    func open(memory: UnsafeRawBufferPointer) throws(ChartArchiveError) {
        guard let base = memory.baseAddress, memory.count > 0 else {
            throw ChartArchiveError(.empty, "the upload is empty")
        }
        try check(archive_read_open_memory(archive, base, memory.count), code: .notGzipTar)
    }

    func open(path: String) throws(ChartArchiveError) {
        try check(archive_read_open_filename(archive, path, 64 * 1024), code: .notGzipTar)
    }

    func nextHeader() throws(ChartArchiveError) -> Entry {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return .end }
        if status < ARCHIVE_WARN || entry == nil {
            throw ChartArchiveError(.corrupt, "the archive is not a readable gzip-compressed tar: \(errorString)")
        }
        return .header(ArchiveEntryHeader(entry!))
    }

    /// Reads the current entry's data into `buffer`; 0 at the end of the entry.
    func readData(into buffer: UnsafeMutableRawBufferPointer) throws(ChartArchiveError) -> Int {
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if count < 0 {
            throw ChartArchiveError(.corrupt, "the archive is truncated or corrupt: \(errorString)")
        }
        return count
    }

    /// Whether the data was gzip-compressed (a bare tar is not a chart package).
    var isGzipCompressed: Bool {
        let count = archive_filter_count(archive)
        return (0..<count).contains { archive_filter_code(archive, $0) == ARCHIVE_FILTER_GZIP }
    }

    var compressedBytesRead: Int64 { archive_filter_bytes(archive, -1) }

    private var errorString: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    }

    private func check(_ status: Int32, code: ChartArchiveError.Code) throws(ChartArchiveError) {
        guard status < ARCHIVE_WARN else { return }
        throw ChartArchiveError(code, "the upload is not a gzip-compressed tar archive: \(errorString)")
    }
}

/// The parts of a libarchive entry header the chart reader looks at, copied out as Swift values.
struct ArchiveEntryHeader {
    enum Kind {
        case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket, unknown
    }

    let path: String
    let kind: Kind
    let declaredSize: Int64?
    let linkTarget: String?

    init(_ entry: OpaquePointer) {
        path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        if let hardlink = archive_entry_hardlink(entry) {
            kind = .hardlink
            linkTarget = String(cString: hardlink)
        } else {
            switch cw_archive_entry_kind(entry) {
            case CW_ENTRY_REGULAR: kind = .regular
            case CW_ENTRY_DIRECTORY: kind = .directory
            case CW_ENTRY_SYMLINK: kind = .symlink
            case CW_ENTRY_CHARACTER_DEVICE: kind = .characterDevice
            case CW_ENTRY_BLOCK_DEVICE: kind = .blockDevice
            case CW_ENTRY_FIFO: kind = .fifo
            case CW_ENTRY_SOCKET: kind = .socket
            default: kind = .unknown
            }
            linkTarget = archive_entry_symlink(entry).map { String(cString: $0) }
        }
        declaredSize = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
    }
}

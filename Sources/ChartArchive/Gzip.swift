import CArchive

/// gzip through libarchive's raw writer, so the index's compressed form needs no other C library.
public enum Gzip {
    private final class Sink {
        var bytes: [UInt8] = []
    }

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        guard let archive = archive_write_new() else { fatalError("libarchive could not allocate a writer") }
        defer { archive_write_free(archive) }
        archive_write_add_filter_gzip(archive)
        archive_write_set_format_raw(archive)
        // Without this the raw writer pads to a 10 KiB block, which gzip readers see as garbage.
        archive_write_set_bytes_in_last_block(archive, 1)
        let sink = Sink()
        sink.bytes.reserveCapacity(input.count / 4 + 64)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let opened = archive_write_open2(archive, context, nil, { _, context, buffer, length in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }, nil, nil)
        guard opened == ARCHIVE_OK, let entry = archive_entry_new() else {
            fatalError("libarchive could not open an in-memory gzip writer")
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_size(entry, Int64(input.count))
        archive_write_header(archive, entry)
        input.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = archive_write_data(archive, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else { fatalError("libarchive gzip write failed") }
                offset += written
            }
        }
        archive_write_close(archive)
        withExtendedLifetime(sink) {}
        return sink.bytes
    }
}

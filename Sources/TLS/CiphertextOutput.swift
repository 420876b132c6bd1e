import COpenSSL
import NIOCore

/// Where OpenSSL puts the ciphertext of one connection: a BIO whose writes append straight to a
/// `ByteBuffer` that the channel handler then hands to the socket as it is.
///
/// A memory BIO would copy each record twice more: into its own buffer, then out of it
/// (`BIO_read`) into the buffer the channel writes, 13 kB per answer of a small index. This BIO
/// never refuses a write (the buffer grows), as a memory BIO would not; the handler bounds how
/// much plaintext it encrypts before the ciphertext is taken (`TLSConnection.write`).
final class CiphertextOutput {
    /// Nil after a `take`: the next write allocates, sized by `reserve` when it was called.
    private var buffer: ByteBuffer?
    private let allocator: ByteBufferAllocator

    init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.allocator = allocator
    }

    var pendingBytes: Int { buffer?.readableBytes ?? 0 }

    /// Makes room for the records of `plaintextBytes` at once, so the buffer is not grown (and
    /// copied) record by record.
    func reserve(forPlaintext plaintextBytes: Int) {
        // Per record of up to 16 KiB: a 5-byte header, the tag, TLS 1.2's explicit nonce or
        // TLS 1.3's content type; 64 covers every AEAD suite the policy allows.
        let needed = plaintextBytes + (plaintextBytes / 16_384 + 1) * 64
        if buffer == nil {
            buffer = allocator.buffer(capacity: needed)
        } else {
            buffer!.reserveCapacity(minimumWritableBytes: needed)
        }
    }

    /// Everything written since the last call, or nil. The buffer now belongs to the caller.
    func take() -> ByteBuffer? {
        guard let taken = buffer, taken.readableBytes > 0 else { return nil }
        buffer = nil
        return taken
    }

    fileprivate func append(_ bytes: UnsafeRawBufferPointer) {
        if buffer == nil {
            buffer = allocator.buffer(capacity: bytes.count)
        }
        buffer!.writeBytes(bytes)
    }

    /// A new BIO writing into `output`, which must outlive it: the `TLSConnection` owns both and
    /// frees the `SSL` (which frees the BIO) first.
    static func makeBIO(writingTo output: CiphertextOutput) -> OpaquePointer? {
        guard let method = method.pointer, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(output).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    /// Made once per process; OpenSSL keeps no per-BIO state in it.
    private static let method = Method()

    private final class Method: @unchecked Sendable {
        let pointer: OpaquePointer?

        init() {
            let index = BIO_get_new_index()
            guard index > 0, let method = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "chartwarden ciphertext output") else {
                pointer = nil
                return
            }
            BIO_meth_set_write(method) { bio, data, length in
                guard let bio, let context = BIO_get_data(bio) else { return -1 }
                BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
                guard let data, length > 0 else { return 0 }
                Unmanaged<CiphertextOutput>.fromOpaque(context).takeUnretainedValue()
                    .append(UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: Int(length)))
                return length
            }
            // A flush (after each handshake flight) succeeds: every byte is already in the buffer.
            // Everything else (pending counts, KTLS, descriptors) is 0: nothing held, not a socket.
            BIO_meth_set_ctrl(method) { _, command, _, _ in command == BIO_CTRL_FLUSH ? 1 : 0 }
            pointer = method
        }
    }
}

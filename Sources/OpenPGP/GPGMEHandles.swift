import CGPGME
import Foundation

/// One GPGME context: owned here, released in `deinit`. A context is never shared between
/// threads: each thread keeps its own per GnuPG home (`forCurrentThread`), because setting up a
/// context runs `gpg --version` and that would double the processes of every operation.
final class GPGMEContext {
    let pointer: gpgme_ctx_t

    /// This thread's context for `homeDirectory`, made on first use and released with the thread.
    static func forCurrentThread(homeDirectory: String) throws(OpenPGPError) -> GPGMEContext {
        let key = "chartwarden.gpgme." + homeDirectory
        let dictionary = Thread.current.threadDictionary
        if let context = dictionary[key] as? GPGMEContext { return context }
        let context = try GPGMEContext(homeDirectory: homeDirectory)
        dictionary[key] = context
        return context
    }

    init(homeDirectory: String) throws(OpenPGPError) {
        GPGMELibrary.ensureInitialized()
        var context: gpgme_ctx_t?
        try GPGMELibrary.check(gpgme_new(&context), .engine, "cannot create a GPGME context")
        guard let context else { throw OpenPGPError(.engine, "cannot create a GPGME context") }
        pointer = context
        try GPGMELibrary.check(gpgme_set_protocol(context, GPGME_PROTOCOL_OpenPGP), .engine, "OpenPGP is not available")
        try GPGMELibrary.check(gpgme_ctx_set_engine_info(context, GPGME_PROTOCOL_OpenPGP, nil, homeDirectory), .engine,
                               "cannot use GnuPG home \(homeDirectory)")
        // Never reach out to key servers or the network during an operation.
        gpgme_set_offline(context, 1)
    }

    deinit {
        gpgme_release(pointer)
    }
}

/// A GPGME data buffer, owned here.
final class GPGMEData {
    let pointer: gpgme_data_t

    /// An empty buffer for GPGME to write into.
    init() throws(OpenPGPError) {
        var data: gpgme_data_t?
        try GPGMELibrary.check(gpgme_data_new(&data), .engine, "cannot allocate a GPGME buffer")
        guard let data else { throw OpenPGPError(.engine, "cannot allocate a GPGME buffer") }
        pointer = data
    }

    /// A copy of `bytes` for GPGME to read.
    init(bytes: [UInt8]) throws(OpenPGPError) {
        var data: gpgme_data_t?
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { gpgme_data_new_from_mem(&data, $0, buffer.count, 1) }
            } ?? gpgme_data_new(&data)
        }
        try GPGMELibrary.check(status, .engine, "cannot allocate a GPGME buffer")
        guard let data else { throw OpenPGPError(.engine, "cannot allocate a GPGME buffer") }
        pointer = data
    }

    deinit {
        gpgme_data_release(pointer)
    }

    /// Everything written into the buffer so far.
    func contents() -> [UInt8] {
        gpgme_data_seek(pointer, 0, SEEK_SET)
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { gpgme_data_read(pointer, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }
}

/// Process-wide GPGME set-up and error helpers.
enum GPGMELibrary {
    private static let initialized: Bool = {
        // Must run once before any other GPGME call; it also initialises the thread support.
        _ = gpgme_check_version(nil)
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }

    static var version: String {
        ensureInitialized()
        return String(cString: gpgme_check_version(nil))
    }

    static func message(_ error: gpgme_error_t) -> String {
        String(cString: gpgme_strerror(error))
    }

    static func isSuccess(_ error: gpgme_error_t) -> Bool {
        gpgme_err_code(error) == GPG_ERR_NO_ERROR
    }

    static func check(_ error: gpgme_error_t, _ code: OpenPGPError.Code, _ context: String) throws(OpenPGPError) {
        guard !isSuccess(error) else { return }
        throw OpenPGPError(code, "\(context): \(message(error))")
    }

    static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    static func date(_ seconds: Int) -> Date? {
        seconds > 0 ? Date(timeIntervalSince1970: TimeInterval(seconds)) : nil
    }
}

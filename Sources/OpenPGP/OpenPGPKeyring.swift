import CGPGME
import Foundation
import Synchronization

/// A GnuPG home directory driven only through GPGME: import keys, read them back, verify
/// clear-signed messages. Trust decisions are not GnuPG's (no ownertrust, no web of trust):
/// callers get facts — who signed, when, with which hash — and decide.
///
/// Every method blocks on a gpg process: call them off the event loop.
public final class OpenPGPKeyring: Sendable {
    public let homeDirectory: String
    /// Keys already read from GnuPG, by primary and subkey fingerprint; emptied by every import
    /// (the only way key state changes through this keyring).
    private let keyCache = Mutex<[String: OpenPGPKey]>([:])

    /// GnuPG settings for a home that only verifies: no agent (no secret keys live here), no
    /// key servers, no trust-database upkeep during verification (trust is ChartWarden's
    /// decision; `trust-model always` is not used because gpg then fails to record revocations).
    static let configuration = """
        # Written by ChartWarden: this home holds public keys for verification only.
        no-autostart
        no-auto-check-trustdb
        no-auto-key-retrieve
        no-greeting

        """

    /// Creates the home directory (0700) when missing, with its `gpg.conf`.
    public init(homeDirectory: String) throws(OpenPGPError) {
        self.homeDirectory = homeDirectory
        try Self.prepareHome(homeDirectory)
        _ = try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory)
    }

    public static var gpgmeVersion: String { GPGMELibrary.version }

    /// Imports armored or binary key material as it is. The server imports only what
    /// `check(_:alongside:)` cleaned (`adopt`): this is for keyrings whose content is trusted
    /// already (tests, a throwaway home).
    public func importKeys(_ bytes: [UInt8]) throws(OpenPGPError) -> ImportResult {
        keyCache.withLock { $0.removeAll() }
        defer { keyCache.withLock { $0.removeAll() } }
        return try Self.importKeys(bytes, context: try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory))
    }

    static func prepareHome(_ homeDirectory: String) throws(OpenPGPError) {
        do {
            try FileManager.default.createDirectory(atPath: homeDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try Data(configuration.utf8).write(to: URL(fileURLWithPath: homeDirectory + "/gpg.conf"), options: .atomic)
        } catch {
            throw OpenPGPError(.engine, "cannot prepare GnuPG home \(homeDirectory): \(error.localizedDescription)")
        }
    }

    static func importKeys(_ bytes: [UInt8], context: GPGMEContext) throws(OpenPGPError) -> ImportResult {
        let data = try GPGMEData(bytes: bytes)
        try GPGMELibrary.check(gpgme_op_import(context.pointer, data.pointer), .importFailed, "import failed")
        guard let result = gpgme_op_import_result(context.pointer) else {
            throw OpenPGPError(.importFailed, "import produced no result")
        }
        var imported: [ImportedKey] = []
        var status = result.pointee.imports
        while let current = status {
            if GPGMELibrary.isSuccess(current.pointee.result), let fingerprint = GPGMELibrary.string(current.pointee.fpr) {
                imported.append(ImportedKey(fingerprint: fingerprint.uppercased(), changed: current.pointee.status != 0))
            }
            status = current.pointee.next
        }
        let revocations = Int(result.pointee.new_revocations)
        guard !imported.isEmpty || revocations > 0 else {
            throw OpenPGPError(.importFailed, "no usable OpenPGP key or revocation in the data "
                + "(\(result.pointee.considered) considered, \(result.pointee.not_imported) not imported)")
        }
        return ImportResult(keys: imported, newRevocations: revocations)
    }

    /// The binary export of one key as the keyring holds it (empty when it does not hold it).
    public func export(_ fingerprint: String) throws(OpenPGPError) -> [UInt8] {
        try Self.export(fingerprint, context: try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory))
    }

    /// The binary export of one key (empty when the keyring does not hold it).
    static func export(_ fingerprint: String, context: GPGMEContext) throws(OpenPGPError) -> [UInt8] {
        let data = try GPGMEData()
        try GPGMELibrary.check(gpgme_op_export(context.pointer, fingerprint, 0, data.pointer), .engine,
                               "cannot export \(fingerprint)")
        return data.contents()
    }

    /// The key that has `fingerprint` as its primary or as a subkey fingerprint (or key id).
    public func key(_ fingerprint: String) throws(OpenPGPError) -> OpenPGPKey? {
        let wanted = fingerprint.uppercased()
        if let cached = keyCache.withLock({ $0[wanted] }) { return cached }
        // A key listing on this thread's context, not gpgme_get_key: that one makes a context
        // of its own, which costs an extra `gpg --version` per lookup.
        guard let copied = Self.key(wanted, context: try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory))
        else { return nil }
        keyCache.withLock { cache in
            for subkey in copied.subkeys where !subkey.fingerprint.isEmpty { cache[subkey.fingerprint] = copied }
        }
        return copied
    }

    static func key(_ wanted: String, context: GPGMEContext) -> OpenPGPKey? {
        guard GPGMELibrary.isSuccess(gpgme_op_keylist_start(context.pointer, wanted, 0)) else { return nil }
        var key: gpgme_key_t?
        let status = gpgme_op_keylist_next(context.pointer, &key)
        gpgme_op_keylist_end(context.pointer)
        guard GPGMELibrary.isSuccess(status), let key else { return nil }
        defer { gpgme_key_unref(key) }
        return copy(key)
    }

    /// Every public key in the home directory.
    public func keys() throws(OpenPGPError) -> [OpenPGPKey] {
        let context = try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory)
        try GPGMELibrary.check(gpgme_op_keylist_start(context.pointer, nil, 0), .engine, "cannot list keys")
        var keys: [OpenPGPKey] = []
        while true {
            var key: gpgme_key_t?
            guard GPGMELibrary.isSuccess(gpgme_op_keylist_next(context.pointer, &key)), let key else { break }
            keys.append(Self.copy(key))
            gpgme_key_unref(key)
        }
        gpgme_op_keylist_end(context.pointer)
        return keys
    }

    /// Verifies a clear-signed message and returns the signed text with every signature found.
    /// A bad signature is a result (status `.bad`), not an error; input GPGME cannot read as a
    /// signed message throws.
    public func verifyClearsigned(_ message: [UInt8]) throws(OpenPGPError) -> ClearsignedVerification {
        let context = try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory)
        let signed = try GPGMEData(bytes: message)
        let plaintext = try GPGMEData()
        let status = gpgme_op_verify(context.pointer, signed.pointer, nil, plaintext.pointer)
        guard let result = gpgme_op_verify_result(context.pointer) else {
            throw OpenPGPError(.verificationFailed, "verification produced no result: \(GPGMELibrary.message(status))")
        }
        var signatures: [OpenPGPSignature] = []
        var current = result.pointee.signatures
        while let signature = current {
            signatures.append(Self.copy(signature))
            current = signature.pointee.next
        }
        guard GPGMELibrary.isSuccess(status) || !signatures.isEmpty else {
            throw OpenPGPError(.invalidInput, "not a signed OpenPGP message: \(GPGMELibrary.message(status))")
        }
        return ClearsignedVerification(plaintext: plaintext.contents(), signatures: signatures)
    }

    private static func copy(_ key: gpgme_key_t) -> OpenPGPKey {
        var subkeys: [OpenPGPKey.Subkey] = []
        var subkey = key.pointee.subkeys
        while let current = subkey {
            let algorithm = gpgme_pubkey_algo_string(current)
            defer { gpgme_free(algorithm) }
            subkeys.append(.init(
                fingerprint: (GPGMELibrary.string(current.pointee.fpr) ?? "").uppercased(),
                algorithm: GPGMELibrary.string(algorithm) ?? "unknown",
                created: GPGMELibrary.date(current.pointee.timestamp),
                expires: GPGMELibrary.date(current.pointee.expires),
                isRevoked: current.pointee.revoked != 0, isExpired: current.pointee.expired != 0,
                canSign: current.pointee.can_sign != 0))
            subkey = current.pointee.next
        }
        var userIDs: [String] = []
        var uid = key.pointee.uids
        while let current = uid {
            if let text = GPGMELibrary.string(current.pointee.uid) { userIDs.append(text) }
            uid = current.pointee.next
        }
        return OpenPGPKey(fingerprint: subkeys.first?.fingerprint ?? "", userIDs: userIDs, subkeys: subkeys,
                          isRevoked: key.pointee.revoked != 0, isExpired: key.pointee.expired != 0)
    }

    private static func copy(_ signature: gpgme_signature_t) -> OpenPGPSignature {
        let code = gpgme_err_code(signature.pointee.status)
        let status: OpenPGPSignature.Status = switch code {
        case GPG_ERR_NO_ERROR: .good
        case GPG_ERR_BAD_SIGNATURE: .bad
        case GPG_ERR_NO_PUBKEY: .missingKey
        // GPGME reports good signatures by expired or revoked keys, and expired signatures, with
        // these codes; the cryptography held, and ChartWarden judges those times itself.
        case GPG_ERR_KEY_EXPIRED, GPG_ERR_CERT_REVOKED, GPG_ERR_SIG_EXPIRED:
            (signature.pointee.summary.rawValue & GPGME_SIGSUM_RED.rawValue) == 0 ? .good : .bad
        default: .error(GPGMELibrary.message(signature.pointee.status))
        }
        let summary = signature.pointee.summary.rawValue
        return OpenPGPSignature(
            status: status,
            signingKey: (GPGMELibrary.string(signature.pointee.fpr) ?? "").uppercased(),
            created: GPGMELibrary.date(Int(signature.pointee.timestamp)),
            expires: GPGMELibrary.date(Int(signature.pointee.exp_timestamp)),
            hashAlgorithm: GPGMELibrary.string(gpgme_hash_algo_name(signature.pointee.hash_algo)) ?? "unknown",
            publicKeyAlgorithm: GPGMELibrary.string(gpgme_pubkey_algo_name(signature.pointee.pubkey_algo)) ?? "unknown",
            keyRevokedFlag: summary & GPGME_SIGSUM_KEY_REVOKED.rawValue != 0,
            keyExpiredFlag: summary & GPGME_SIGSUM_KEY_EXPIRED.rawValue != 0,
            signatureExpiredFlag: summary & GPGME_SIGSUM_SIG_EXPIRED.rawValue != 0)
    }
}

extension OpenPGPKeyring {
    /// The ASCII-armored export of one key as this keyring holds it, with every revocation it
    /// adopted (empty when the keyring does not hold it): what a replica's GnuPG home is rebuilt
    /// from when the keys live in PostgreSQL.
    public func exportArmored(_ fingerprint: String) throws(OpenPGPError) -> String {
        let context = try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory)
        gpgme_set_armor(context.pointer, 1)
        defer { gpgme_set_armor(context.pointer, 0) }
        return String(decoding: try Self.export(fingerprint, context: context), as: UTF8.self)
    }
}

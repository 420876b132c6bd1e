import Foundation

/// Checking key material before it reaches the keyring. GnuPG keeps revocations it cannot check
/// (an issuer key id it does not hold, even in the unhashed area) and exports them again, so
/// reading revocations back from an export counts forged ones. Instead each revocation
/// signature is given to GnuPG alone, on the key stripped of every other revocation, in a home
/// of its own: it counts only when GnuPG then lists the key (or a subkey) as revoked. Only the
/// key's other packets and the revocations that passed are ever imported for real.
extension OpenPGPKeyring {
    /// More revocation signatures on one key than anyone issues: refused, as each costs a
    /// GnuPG home to check.
    public static let maximumRevocationsPerKey = 8

    /// Imports `bytes` into a throwaway home (after a copy of `existing` from this keyring, when
    /// given) and checks every key it then holds. This keyring is untouched.
    public func check(_ bytes: [UInt8], alongside existing: String? = nil) throws(OpenPGPError) -> [CheckedCertificate] {
        let scratch = try ScratchHome()
        var fingerprints: [String] = []
        if let existing {
            let wanted = existing.uppercased()
            let current = try Self.export(wanted, context: try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory))
            guard !current.isEmpty else { throw OpenPGPError(.invalidInput, "no key \(wanted) in the keyring") }
            _ = try Self.importKeys(current, context: scratch.context)
            fingerprints.append(wanted)
        }
        let result = try Self.importKeys(bytes, context: scratch.context)
        for key in result.keys where !fingerprints.contains(key.fingerprint) { fingerprints.append(key.fingerprint) }
        return try fingerprints.map { fingerprint throws(OpenPGPError) in
            try Self.checkCertificate(try Self.export(fingerprint, context: scratch.context), fingerprint: fingerprint)
        }
    }

    /// Imports what `check` kept of a certificate into this keyring.
    public func adopt(_ certificate: CheckedCertificate) throws(OpenPGPError) {
        _ = try importKeys(certificate.cleaned)
    }

    private static func checkCertificate(_ exported: [UInt8], fingerprint: String) throws(OpenPGPError) -> CheckedCertificate {
        let packets = try OpenPGPPackets.split(exported)
        let isRevocation = packets.map { packet in
            packet.tag == 2 && [0x20, 0x28].contains(RevocationSignature.signatureType(packet.body))
        }
        let candidates = packets.indices.filter { isRevocation[$0] }
        guard candidates.count <= maximumRevocationsPerKey else {
            throw OpenPGPError(.invalidInput, "\(fingerprint) carries \(candidates.count) revocation signatures "
                + "(at most \(maximumRevocationsPerKey) are checked)")
        }
        func certificate(keeping kept: Set<Int>) -> [UInt8] {
            packets.indices.filter { !isRevocation[$0] || kept.contains($0) }.flatMap { packets[$0].raw }
        }
        var kept: Set<Int> = []
        var keyRevocations: [RevocationSignature] = []
        var subkeyRevocations: [String: [RevocationSignature]] = [:]
        for index in candidates {
            // v3 signatures carry no reason or hashed time: never kept.
            guard let signature = try? RevocationSignature.parseSignature(packets[index].body),
                  let key = try? revokedView(certificate(keeping: [index]), fingerprint: fingerprint) else { continue }
            switch signature.target {
            case .key where key.isRevoked:
                keyRevocations.append(signature)
                kept.insert(index)
            case .subkey:
                for subkey in key.subkeys.dropFirst() where subkey.isRevoked {
                    subkeyRevocations[subkey.fingerprint, default: []].append(signature)
                    kept.insert(index)
                }
            default: break
            }
        }
        let cleaned = certificate(keeping: kept)
        guard let key = try revokedView(cleaned, fingerprint: fingerprint) else {
            throw OpenPGPError(.importFailed, "GnuPG does not list \(fingerprint) from its own export")
        }
        return CheckedCertificate(key: key, keyRevocations: keyRevocations, subkeyRevocations: subkeyRevocations,
                                  cleaned: cleaned)
    }

    /// The key as GnuPG lists it after importing `certificate` alone into a fresh home.
    private static func revokedView(_ certificate: [UInt8], fingerprint: String) throws(OpenPGPError) -> OpenPGPKey? {
        let home = try ScratchHome()
        _ = try importKeys(certificate, context: home.context)
        return key(fingerprint, context: home.context)
    }
}

/// A GnuPG home in the temporary directory, removed with its context when released.
final class ScratchHome {
    let path: String
    let context: GPGMEContext

    init() throws(OpenPGPError) {
        path = NSTemporaryDirectory() + "chartwarden-gpg-check-" + UUID().uuidString
        do {
            try OpenPGPKeyring.prepareHome(path)
            // Its own context, not the thread's cached one: the home is gone when this is.
            context = try GPGMEContext(homeDirectory: path)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension OpenPGPKeyring {
    /// The subkeys of `key` revoked by a subkey revocation of their own. GnuPG lists every
    /// subkey of a revoked key as revoked too, so a soft (retired) key's signing subkey looks
    /// revoked either way: this tells the two apart. Read from this keyring's export, which holds
    /// only revocations `check` let through (and each must name the key as its issuer).
    public func subkeysRevokedOnTheirOwn(_ key: OpenPGPKey) throws(OpenPGPError) -> Set<String> {
        let exported = try Self.export(key.fingerprint, context: try GPGMEContext.forCurrentThread(homeDirectory: homeDirectory))
        var revoked: Set<String> = []
        var subkeyIndex = 0  // subkey packets come in the order GnuPG lists the subkeys
        for packet in try OpenPGPPackets.split(exported) {
            if packet.tag == 14 { subkeyIndex += 1 }
            guard packet.tag == 2, subkeyIndex > 0, subkeyIndex < key.subkeys.count,
                  RevocationSignature.signatureType(packet.body) == 0x28,
                  let signature = try? RevocationSignature.parseSignature(packet.body),
                  signature.isIssued(by: key.fingerprint) else { continue }
            revoked.insert(key.subkeys[subkeyIndex].fingerprint)
        }
        return revoked
    }
}

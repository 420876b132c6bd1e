import Foundation

/// A key or subkey revocation signature read from OpenPGP data (a revocation certificate or a
/// key export carrying one). GPGME does not expose a revocation's reason or time, and
/// ChartWarden needs both: a soft revocation (superseded, retired) keeps earlier signatures
/// valid, a hard one (compromised, or no reason) does not.
///
/// Only the packet framing and the signature's subpackets are read here, never the
/// cryptography: anything parsed from data a client sent may be forged. Decisions use
/// `OpenPGPKeyring.check`, which parses only signatures GnuPG revoked the key with, each alone.
public struct RevocationSignature: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case key
        case subkey
    }

    public enum Reason: UInt8, Sendable {
        case unspecified = 0x00
        case superseded = 0x01
        case compromised = 0x02
        case retired = 0x03
        case userIDInvalid = 0x20
    }

    public var target: Target
    /// From the hashed area: the signer cannot be tricked into another time.
    public var created: Date
    /// Nil when the signature states no reason, which counts as hard.
    public var reason: Reason?
    public var reasonText: String
    /// Issuer fingerprint (subpacket 33), uppercase hex, when present.
    public var issuerFingerprint: String?
    /// Issuer key id (subpacket 16), uppercase hex, when present.
    public var issuerKeyID: String?

    public init(target: Target, created: Date, reason: Reason?, reasonText: String, issuerFingerprint: String?,
                issuerKeyID: String?) {
        self.target = target
        self.created = created
        self.reason = reason
        self.reasonText = reasonText
        self.issuerFingerprint = issuerFingerprint
        self.issuerKeyID = issuerKeyID
    }

    /// Superseded and retired keys did nothing wrong before they were retired; anything else
    /// (compromise, no stated reason, unknown codes) voids every signature.
    public var isSoft: Bool { reason == .superseded || reason == .retired }

    /// Every issuer the signature names, hashed or not: subpacket 33 as `v<version>:<hex>`
    /// unless it is a v4 fingerprint, subpacket 16 as a key id. Set by `parse`.
    public var namedIssuers: [String] = []

    /// Whether the signature names `fingerprint` (uppercase hex) as its issuer, in every issuer
    /// subpacket it carries: GnuPG takes the issuer from subpacket 16 even in the unhashed
    /// area, so a fingerprint in subpacket 33 beside a foreign key id does not count.
    public func isIssued(by fingerprint: String) -> Bool {
        let names = namedIssuers.isEmpty ? [issuerFingerprint, issuerKeyID].compactMap { $0 } : namedIssuers
        return !names.isEmpty && names.allSatisfy { $0 == fingerprint || ($0.count == 16 && fingerprint.hasSuffix($0)) }
    }

    /// Dated after `now` by more than `skew`: no one can have known then what it says.
    public func isFutureDated(now: Date, skew: TimeInterval) -> Bool {
        created.timeIntervalSince(now) > skew
    }

    /// What a set of valid revocations of one key amounts to: the hardest wins. Any hard one
    /// (compromised, no or unknown reason) makes the key hard-revoked from its earliest hard
    /// revocation; only when every one is soft does the earliest soft time bound the
    /// signatures that stay valid. Nil for no revocations.
    public static func effective(_ revocations: [RevocationSignature]) -> RevocationSignature? {
        let hard = revocations.filter { !$0.isSoft }
        return (hard.isEmpty ? revocations : hard).min { $0.created < $1.created }
    }

    /// The revocation that applies to a key, from the revocations GnuPG validated for it: nil
    /// for none, the hardest otherwise (`effective`), and refused whole when any is dated after
    /// `now` plus `skew` (a "superseded, 2100" one would keep back-dated signatures valid). The
    /// one rule the server and `chartwarden verify` apply.
    public static func applicable(_ revocations: [RevocationSignature], now: Date, skew: TimeInterval)
        throws(OpenPGPError) -> RevocationSignature? {
        if let future = revocations.first(where: { $0.isFutureDated(now: now, skew: skew) }) {
            throw OpenPGPError(.futureDated, "a revocation is dated "
                + "\(ISO8601DateFormatter().string(from: future.created)), in the future: refused")
        }
        return effective(revocations)
    }

    /// The signature type of a signature packet body (any version), or nil when too short.
    static func signatureType(_ body: ArraySlice<UInt8>) -> UInt8? {
        guard let version = body.first else { return nil }
        let offset = version == 3 ? 2 : 1
        return body.count > offset ? body[body.startIndex + offset] : nil
    }

    /// Every key or subkey revocation signature in armored or binary OpenPGP data.
    public static func parse(_ bytes: [UInt8]) throws(OpenPGPError) -> [RevocationSignature] {
        let packets = try OpenPGPPackets.split(try OpenPGPArmor.decodeIfArmored(bytes))
        var revocations: [RevocationSignature] = []
        for packet in packets where packet.tag == 2 {
            if let revocation = try parseSignature(packet.body) { revocations.append(revocation) }
        }
        return revocations
    }

    static func parseSignature(_ body: ArraySlice<UInt8>) throws(OpenPGPError) -> RevocationSignature? {
        var reader = ByteReader(body)
        guard try reader.byte() == 4 else { return nil }  // v3 signatures carry no subpackets
        let type = try reader.byte()
        guard type == 0x20 || type == 0x28 else { return nil }
        _ = try reader.byte()  // public-key algorithm
        _ = try reader.byte()  // hash algorithm
        let hashed = try reader.subpackets()
        let unhashed = try reader.subpackets()
        guard let time = hashed.first(where: { $0.type == 2 })?.data, time.count == 4 else {
            throw OpenPGPError(.invalidInput, "revocation signature without a creation time")
        }
        let seconds = time.reduce(0) { $0 << 8 | UInt32($1) }
        var revocation = RevocationSignature(
            target: type == 0x20 ? .key : .subkey, created: Date(timeIntervalSince1970: TimeInterval(seconds)),
            reason: nil, reasonText: "", issuerFingerprint: nil, issuerKeyID: nil)
        if let reason = hashed.first(where: { $0.type == 29 })?.data, let code = reason.first {
            revocation.reason = Reason(rawValue: code) ?? .compromised
            revocation.reasonText = String(decoding: reason.dropFirst(), as: UTF8.self)
        }
        if let issuer = hashed.first(where: { $0.type == 33 })?.data, issuer.count == 21, issuer.first == 4 {
            revocation.issuerFingerprint = hex(issuer.dropFirst())
        }
        if let keyID = (hashed + unhashed).first(where: { $0.type == 16 })?.data, keyID.count == 8 {
            revocation.issuerKeyID = hex(keyID)
        }
        for subpacket in hashed + unhashed {
            switch subpacket.type {
            case 16: revocation.namedIssuers.append(hex(subpacket.data))
            case 33 where subpacket.data.count == 21 && subpacket.data.first == 4:
                revocation.namedIssuers.append(hex(subpacket.data.dropFirst()))
            case 33: revocation.namedIssuers.append("v\(subpacket.data.first ?? 0):" + hex(subpacket.data.dropFirst()))
            default: break
            }
        }
        return revocation
    }

    private static func hex(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { String(format: "%02X", $0) }.joined()
    }
}

/// Reads big-endian fields and signature subpackets, throwing on truncation.
struct ByteReader {
    struct Subpacket {
        let type: UInt8
        let data: [UInt8]
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { bytes.isEmpty }
    var remaining: Int { bytes.count }

    mutating func byte() throws(OpenPGPError) -> UInt8 {
        guard let first = bytes.popFirst() else { throw OpenPGPError(.invalidInput, "truncated OpenPGP packet") }
        return first
    }

    mutating func take(_ count: Int) throws(OpenPGPError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count >= count else { throw OpenPGPError(.invalidInput, "truncated OpenPGP packet") }
        let taken = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return taken
    }

    mutating func bigEndian(_ width: Int) throws(OpenPGPError) -> Int {
        try take(width).reduce(0) { $0 << 8 | Int($1) }
    }

    /// A two-octet length followed by that many bytes of subpackets (RFC 4880 §5.2.3.1).
    mutating func subpackets() throws(OpenPGPError) -> [Subpacket] {
        var area = ByteReader(try take(try bigEndian(2)))
        var result: [Subpacket] = []
        while !area.isAtEnd {
            let first = Int(try area.byte())
            let length: Int
            switch first {
            case ..<192: length = first
            case 192..<255: length = ((first - 192) << 8) + Int(try area.byte()) + 192
            default: length = try area.bigEndian(4)
            }
            guard length >= 1 else { throw OpenPGPError(.invalidInput, "empty signature subpacket") }
            let type = try area.byte() & 0x7F
            result.append(Subpacket(type: type, data: Array(try area.take(length - 1))))
        }
        return result
    }
}

import NIOCore

/// The unit a per-address limit counts: an IPv4 address, or an IPv6 /64 (one host commonly owns
/// a whole /64, so counting single IPv6 addresses would limit nothing). IPv4-mapped IPv6
/// addresses count as their IPv4 address.
struct AddressGroup: Hashable, Sendable, CustomStringConvertible {
    let description: String

    init(_ address: SocketAddress?) {
        switch address {
        case .v4(let v4):
            description = Self.ipv4(v4.address.sin_addr.s_addr.bigEndian)
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                description = bytes[12...].map(String.init).joined(separator: ".")
            } else {
                description = stride(from: 0, to: 8, by: 2)
                    .map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                    .joined(separator: ":") + "::/64"
            }
        default:
            description = "local"
        }
    }

    private static func ipv4(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }
}

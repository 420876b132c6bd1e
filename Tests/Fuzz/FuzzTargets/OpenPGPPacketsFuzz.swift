@testable import OpenPGP

/// The OpenPGP reading ChartWarden does itself, outside GnuPG: ASCII armor, packet framing and
/// revocation-signature subpackets (revocation certificates handed to `chartwarden keys`, key
/// exports checked for revocations).
enum OpenPGPPacketsFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = try? RevocationSignature.parse(bytes)
        if let packets = try? OpenPGPPackets.split(bytes) {
            for packet in packets { _ = try? RevocationSignature.parseSignature(packet.body) }
        }
    }
}

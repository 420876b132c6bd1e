import Foundation

/// OpenPGP packet framing (RFC 4880 §4.2): enough to walk a key or revocation export.
enum OpenPGPPackets {
    struct Packet {
        let tag: Int
        let body: ArraySlice<UInt8>
        /// Header and body, as they were read: what reassembling a key from packets writes back.
        let raw: ArraySlice<UInt8>
    }

    static func split(_ bytes: [UInt8]) throws(OpenPGPError) -> [Packet] {
        var reader = ByteReader(bytes[...])
        var packets: [Packet] = []
        while !reader.isAtEnd {
            let start = bytes.count - reader.remaining
            let header = try reader.byte()
            guard header & 0x80 != 0 else { throw OpenPGPError(.invalidInput, "not OpenPGP data") }
            let tag: Int
            let length: Int
            if header & 0x40 != 0 {
                tag = Int(header & 0x3F)
                let first = Int(try reader.byte())
                switch first {
                case ..<192: length = first
                case 192..<224: length = ((first - 192) << 8) + Int(try reader.byte()) + 192
                case 255: length = try reader.bigEndian(4)
                default: throw OpenPGPError(.invalidInput, "partial-length packets are not expected in keys")
                }
            } else {
                tag = Int((header >> 2) & 0x0F)
                switch header & 0x03 {
                case 0: length = try reader.bigEndian(1)
                case 1: length = try reader.bigEndian(2)
                case 2: length = try reader.bigEndian(4)
                default: throw OpenPGPError(.invalidInput, "indeterminate-length packets are not expected in keys")
                }
            }
            let body = try reader.take(length)
            packets.append(Packet(tag: tag, body: body, raw: bytes[start..<body.endIndex]))
        }
        return packets
    }
}

/// ASCII armor (RFC 4880 §6.2): the base64 body of the first armored block, or the input
/// unchanged when it is already binary.
enum OpenPGPArmor {
    static func decodeIfArmored(_ bytes: [UInt8]) throws(OpenPGPError) -> [UInt8] {
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }),
              first == UInt8(ascii: "-") else { return bytes }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }.makeIterator()
        while let line = lines.next(), !line.hasPrefix("-----BEGIN PGP ") {}
        // Armor headers (Comment:, Version:) end at the first blank line.
        while let line = lines.next(), !line.trimmingCharacters(in: .whitespaces).isEmpty {}
        var base64 = ""
        while let line = lines.next() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("=") || trimmed.hasPrefix("-----END PGP ") { break }
            base64 += trimmed
        }
        guard let data = Data(base64Encoded: base64), !data.isEmpty else {
            throw OpenPGPError(.invalidInput, "malformed ASCII armor")
        }
        return Array(data)
    }
}

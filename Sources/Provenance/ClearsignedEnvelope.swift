/// The shape of a clear-signed message, checked before GnuPG sees it: GnuPG happily verifies
/// the first signed block of a file and ignores text around it, which would let an attacker
/// append content a reader might take as signed. ChartWarden accepts exactly one block and
/// nothing outside it but line breaks.
enum ClearsignedEnvelope {
    static let begin = "-----BEGIN PGP SIGNED MESSAGE-----"
    static let signatureBegin = "-----BEGIN PGP SIGNATURE-----"
    static let signatureEnd = "-----END PGP SIGNATURE-----"

    /// Nil when the shape is right, else why not.
    static func problem(in bytes: [UInt8]) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return "the file is not UTF-8 text" }
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        func count(_ marker: String) -> Int { lines.count { $0 == marker } }
        guard lines.first == Substring(begin) else {
            return lines.contains { $0 == begin } ? "text before the signed message" : "not an OpenPGP clear-signed message"
        }
        guard count(begin) == 1, count(signatureBegin) == 1, count(signatureEnd) == 1 else {
            return "more than one signed message or signature block"
        }
        guard let end = lines.firstIndex(where: { $0 == signatureEnd }),
              let signature = lines.firstIndex(where: { $0 == signatureBegin }), signature < end else {
            return "the signature block is not closed"
        }
        guard lines[(end + 1)...].allSatisfy({ $0.allSatisfy(\.isWhitespace) }) else {
            return "text after the signature block"
        }
        // Armor headers: only Hash: lines, then a blank line.
        guard let blank = lines.firstIndex(where: { $0.isEmpty }), blank < signature else {
            return "malformed armor headers"
        }
        guard lines[1..<blank].allSatisfy({ $0.hasPrefix("Hash: ") }) else {
            return "unexpected armor header"
        }
        return nil
    }
}

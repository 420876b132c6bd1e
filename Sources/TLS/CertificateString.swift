/// Decodes a string of a client certificate (the subject's common name, a subject alternative
/// name) by its ASN.1 type, exactly or not at all: these strings become principals, so a name
/// that only looks like one after a lossy decoding (a BMPString read as UTF-8, an invalid UTF-8
/// sequence replaced, a NUL that C code would cut at) must never match a configured principal.
enum CertificateString {
    /// ASN.1 universal tags of the string types (OpenSSL's `V_ASN1_*`).
    enum StringType: Int32 {
        case utf8 = 12
        case numeric = 18
        case printable = 19
        case teletex = 20
        case ia5 = 22
        case visible = 26
        case universal = 28
        case bmp = 30

        var name: String {
            switch self {
            case .utf8: "UTF8String"
            case .numeric: "NumericString"
            case .printable: "PrintableString"
            case .teletex: "TeletexString"
            case .ia5: "IA5String"
            case .visible: "VisibleString"
            case .universal: "UniversalString"
            case .bmp: "BMPString"
            }
        }
    }

    /// The text of `bytes` read as ASN.1 string type `type`, or why it cannot be read exactly.
    /// Control characters (NUL included) are refused in every type: no principal contains one.
    static func decode(type: Int32, _ bytes: some Collection<UInt8>) -> Result<String, Problem> {
        guard let stringType = StringType(rawValue: type) else { return .failure(.unsupportedType(type)) }
        let scalars: [Unicode.Scalar]
        switch stringType {
        case .utf8:
            var decoded: [Unicode.Scalar] = []
            var decoder = UTF8()
            var iterator = bytes.makeIterator()
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): decoded.append(scalar)
                case .emptyInput: break loop
                case .error: return .failure(.invalidEncoding(stringType))
                }
            }
            scalars = decoded
        case .numeric, .printable, .ia5, .visible, .teletex:
            // TeletexString (T.61) is not ASCII beyond its printable range: refused unless ASCII.
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return .failure(.invalidEncoding(stringType)) }
            scalars = bytes.map { Unicode.Scalar($0) }
        case .bmp:
            // UCS-2, big-endian: every two bytes one character of the Basic Multilingual Plane;
            // surrogate values are not characters.
            guard bytes.count % 2 == 0 else { return .failure(.invalidEncoding(stringType)) }
            let array = Array(bytes)
            var decoded: [Unicode.Scalar] = []
            for offset in stride(from: 0, to: array.count, by: 2) {
                guard let scalar = Unicode.Scalar(UInt16(array[offset]) << 8 | UInt16(array[offset + 1])) else {
                    return .failure(.invalidEncoding(stringType))
                }
                decoded.append(scalar)
            }
            scalars = decoded
        case .universal:
            // UCS-4, big-endian: every four bytes one Unicode scalar value.
            guard bytes.count % 4 == 0 else { return .failure(.invalidEncoding(stringType)) }
            let array = Array(bytes)
            var decoded: [Unicode.Scalar] = []
            for offset in stride(from: 0, to: array.count, by: 4) {
                let value = array[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let scalar = Unicode.Scalar(value) else { return .failure(.invalidEncoding(stringType)) }
                decoded.append(scalar)
            }
            scalars = decoded
        }
        guard !scalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(.controlCharacter(stringType))
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return .success(text)
    }

    enum Problem: Error, Equatable, CustomStringConvertible {
        case unsupportedType(Int32)
        case invalidEncoding(StringType)
        case controlCharacter(StringType)

        var description: String {
            switch self {
            case .unsupportedType(let type): "is of ASN.1 string type \(type), which is not read"
            case .invalidEncoding(let type): "is not a valid \(type.name)"
            case .controlCharacter(let type): "is a \(type.name) holding a control character"
            }
        }
    }
}

import CCrypt

/// The one wrapper around libxcrypt (`crypt_rn`, `crypt_gensalt_rn`). Password hashing is a
/// solved problem; ChartWarden never hashes passwords by hand.
enum CryptFunction {
    /// libxcrypt's work area (about 32 KiB), owned and freed here so no C type escapes.
    private final class WorkArea {
        let data: UnsafeMutablePointer<crypt_data>

        init() {
            data = .allocate(capacity: 1)
            data.initialize(to: crypt_data())
        }

        deinit {
            // The area held the password and intermediate state; clear it before freeing.
            UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0,
                                                            count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
    }

    /// Hashes `password` with the scheme and salt encoded in `setting` (a stored hash works as
    /// its own setting). Nil when libxcrypt rejects the setting.
    static func hash(password: String, setting: String) -> String? {
        let area = WorkArea()
        let result: String? = password.withCString { phrase in
            setting.withCString { salt in
                guard let output = crypt_rn(phrase, salt, area.data, Int32(MemoryLayout<crypt_data>.size)) else {
                    return nil
                }
                return String(cString: output)
            }
        }
        // libxcrypt signals failure with a string starting with '*' that can never match a hash.
        guard let result, !result.hasPrefix("*") else { return nil }
        return result
    }

    /// A fresh setting (scheme, cost and random salt from the OS) for `prefix` such as `$2b$`.
    static func generateSetting(prefix: String, cost: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let ok = prefix.withCString { prefix in
            crypt_gensalt_rn(prefix, UInt(cost), nil, 0, &buffer, Int32(buffer.count)) != nil
        }
        guard ok else { return nil }
        let setting = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return setting.hasPrefix("*") ? nil : setting
    }
}

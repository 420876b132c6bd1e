import Credentials
import Testing

@Suite("Password hashes through libxcrypt")
struct PasswordHashTests {
    @Test("SHA-crypt hashes made by openssl passwd verify")
    func shaCrypt() throws {
        let sha256 = try PasswordHash("$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/")
        let sha512 = try PasswordHash(
            "$6$saltsalt$hRM5XZ86KXEw9UOmjigeVqFgULtFB2sgpC9lXQDfMib3Zgw7mEiUvBJI2EplzfAqxL5Vvwp2scFtv/uamSo5z0")
        #expect(sha256.scheme == .sha256Crypt)
        #expect(sha512.scheme == .sha512Crypt)
        for hash in [sha256, sha512] {
            #expect(hash.matches("correct horse"))
            #expect(!hash.matches("correct horsE"))
            #expect(!hash.matches(""))
        }
    }

    @Test("bcrypt test vectors from crypt_blowfish, in every accepted prefix")
    func bcryptVectors() throws {
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let hash = try PasswordHash(prefix + "05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
            #expect(hash.scheme == .bcrypt)
            #expect(hash.matches("U*U"), "\(prefix)")
            #expect(!hash.matches("U*V"))
        }
    }

    @Test("a generated bcrypt hash has a fresh salt and verifies")
    func generate() throws {
        let first = try PasswordHash.bcrypt(password: "s3cret", cost: 4)
        let second = try PasswordHash.bcrypt(password: "s3cret", cost: 4)
        #expect(first.text.hasPrefix("$2b$04$"))
        #expect(first.text != second.text)
        #expect(first.matches("s3cret") && second.matches("s3cret"))
        #expect(!first.matches("s3cret "))
        #expect(!first.description.contains(first.text))
    }

    @Test("weak, unsalted and unknown schemes are refused with the reason",
          arguments: [
              ("$apr1$saltsalt$Q17bmANhIA7pctgRGqF/S0", "Apache MD5"),
              ("$1$saltsalt$4px9i58NU2Z2/vZOUlGjq.", "MD5-crypt"),
              ("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "SHA-1"),
              ("abJnggxhB/yWI", "DES"),
              ("hunter2", "plaintext"),
              ("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7", "unsupported"),
              ("$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "unsupported"),
              ("$2b$05$tooshort", "malformed bcrypt"),
              ("$6$saltsalt$short", "malformed SHA-crypt"),
          ])
    func refused(hash: String, reason: String) {
        #expect {
            try PasswordHash(hash)
        } throws: { error in
            (error as? PasswordHashError)?.message.contains(reason) == true
        }
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }
}

import Testing
import OpenSSLSupport

@Suite struct SHA256HasherTests {
    @Test func knownVectors() {
        #expect(SHA256Hasher.hash(Array("".utf8)).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hasher.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingEqualsOneShot() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = SHA256Hasher()
        var offset = 0
        for size in [1, 7, 4096, 12345] where offset < data.count {
            hasher.update(Array(data[offset..<min(offset + size, data.count)]))
            offset += size
        }
        hasher.update(Array(data[offset...]))
        #expect(hasher.finalize() == SHA256Hasher.hash(data))
    }

    @Test func hexRoundTrip() throws {
        let digest = SHA256Hasher.hash(Array("chart".utf8))
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(hex: digest.hex.uppercased()) == digest)
        #expect(SHA256Digest(hex: "zz") == nil)
        #expect(SHA256Digest(hex: String(repeating: "g", count: 64)) == nil)
    }
}

import OpenSSLSupport
import Testing

@Suite("OpenSSL HMAC-SHA256")
struct OpenSSLHMACTests {
    @Test func matchesRFC4231() {
        // Test case 1: a 20-byte key of 0x0b.
        #expect(OpenSSLHMAC.sha256Hex(Array("Hi There".utf8), key: Array(repeating: 0x0b, count: 20))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // Test case 2.
        #expect(OpenSSLHMAC.sha256Hex(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func emptyKeyAndMessageStillAuthenticate() {
        // HMAC-SHA256("", "") as computed by Python's hmac module.
        #expect(OpenSSLHMAC.sha256Hex([], key: [])
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}

import COpenSSL
import NIOCore
import Testing
@testable import TLS

/// The output BIO as OpenSSL sees it: every write taken whole, a flush that succeeds, and the bytes
/// handed over once, in order.
@Suite("Ciphertext output BIO")
struct CiphertextOutputTests {
    @Test func writesCollectInOrderAndAreTakenOnce() throws {
        let output = CiphertextOutput()
        let bio = try #require(CiphertextOutput.makeBIO(writingTo: output))
        defer { BIO_free(bio) }
        #expect(output.take() == nil)

        output.reserve(forPlaintext: 100)
        let first = [UInt8](repeating: 1, count: 40_000)  // past the reservation: the buffer grows
        let second: [UInt8] = [2, 3, 4]
        #expect(BIO_write(bio, first, Int32(first.count)) == Int32(first.count))
        #expect(BIO_write(bio, second, Int32(second.count)) == 3)
        #expect(shouldRetry(bio) == false)
        #expect(BIO_ctrl(bio, BIO_CTRL_FLUSH, 0, nil) == 1)
        #expect(output.pendingBytes == 40_003)

        #expect(output.take() == ByteBuffer(bytes: first + second))
        #expect(output.take() == nil && output.pendingBytes == 0)
        #expect(BIO_write(bio, second, 3) == 3)
        #expect(output.take() == ByteBuffer(bytes: second))
    }

    private func shouldRetry(_ bio: OpaquePointer) -> Bool {
        BIO_test_flags(bio, BIO_FLAGS_SHOULD_RETRY) != 0
    }
}

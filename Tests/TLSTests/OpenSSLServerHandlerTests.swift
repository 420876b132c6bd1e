import COpenSSL
import NIOCore
import NIOEmbedded
import Testing
@testable import TLS

/// The handler in an EmbeddedChannel against an OpenSSL client over memory: the whole protocol
/// (handshake, data both ways, close_notify, client certificates) with no socket and no timing.
@Suite("OpenSSL server handler")
struct OpenSSLServerHandlerTests {
    static let tls = TLSContextTests.tlsDirectory

    func makeChannel(clientAuth: TLSConfiguration.ClientAuthentication = .none) throws -> (EmbeddedChannel, OpenSSLServerHandler) {
        let context = try TLSContext(configuration: TLSConfiguration(
            certificateChainPath: Self.tls + "/server.crt", privateKeyPath: Self.tls + "/server.key",
            clientCAPath: clientAuth == .none ? nil : Self.tls + "/ca.crt", clientAuthentication: clientAuth))
        let handler = try OpenSSLServerHandler(context: context)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        return (channel, handler)
    }

    /// Moves ciphertext both ways until neither side has anything more to say.
    func pump(_ channel: EmbeddedChannel, _ client: MemoryTLSClient) throws {
        for _ in 0..<20 {
            client.handshake()
            var moved = false
            if let toServer = client.takeCiphertext() {
                try channel.writeInbound(toServer)
                moved = true
            }
            while let toClient = try channel.readOutbound(as: ByteBuffer.self) {
                client.receive(toClient)
                moved = true
            }
            if !moved { return }
        }
    }

    func readInbound(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while var buffer = try channel.readInbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    @Test func handshakeAndDataBothWays() throws {
        let (channel, handler) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        #expect(handler.state == .active)
        #expect(client.alpn == "http/1.1")
        #expect(client.version == "TLSv1.3")
        #expect(handler.peerIdentity == nil)

        client.write("GET / HTTP/1.1\r\n\r\n")
        try pump(channel, client)
        #expect(try readInbound(channel) == "GET / HTTP/1.1\r\n\r\n")

        // A write larger than one SSL_write chunk and than the output threshold.
        let large = [UInt8](repeating: 0x61, count: 1_000_000)
        try channel.writeAndFlush(ByteBuffer(bytes: large)).wait()
        try pump(channel, client)
        #expect(client.read().bytes == large)
    }

    /// Counts the reads that get past the TLS handler to the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    @Test func notWritableChannelPausesEncryptionAndReads() throws {
        let (channel, handler) = try makeChannel()
        let counter = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(counter, position: .before(handler))
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        #expect(handler.state == .active)

        // The peer stops reading: the channel is over its high water mark.
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        let large = [UInt8](repeating: 0x62, count: 300_000)
        channel.writeAndFlush(ByteBuffer(bytes: large), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing is encrypted while not writable")
        let before = counter.reads
        channel.read()
        #expect(counter.reads == before, "no more input is asked for")

        // It drains: encryption resumes and the held read is issued.
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == before + 1)
        try pump(channel, client)
        #expect(client.read().bytes == large)
    }

    /// A close while the peer is not reading must not encrypt every queued answer for nobody:
    /// a half-close (`Connection: close`) waits for the peer to drain; the next close (the read
    /// deadline) sends close_notify alone and fails what is still queued.
    @Test func closingWhileThePeerIsNotReadingSendsCloseNotifyAlone() throws {
        let (channel, _) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        let write = channel.writeAndFlush(ByteBuffer(bytes: [UInt8](repeating: 0x63, count: 300_000)))
        channel.close(mode: .output, promise: nil)
        #expect(channel.isActive, "the half-close waits for the peer to drain")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.close(promise: nil)
        var ciphertext = 0
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            ciphertext += buffer.readableBytes
            client.receive(buffer)
        }
        #expect(ciphertext < 1_000, "close_notify alone")
        let received = client.read()
        #expect(received.closeNotify)
        #expect(received.bytes.isEmpty)
        #expect(throws: (any Error).self) { try write.wait() }
    }

    @Test func aHalfCloseWaitingForTheDrainSendsEverythingFirst() throws {
        let (channel, _) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        let large = [UInt8](repeating: 0x64, count: 300_000)
        channel.writeAndFlush(ByteBuffer(bytes: large), promise: nil)
        channel.close(mode: .output, promise: nil)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        try pump(channel, client)
        let received = client.read()
        #expect(received.bytes == large)
        #expect(received.closeNotify)
    }

    @Test func tls12WithAnAEADCipherWorks() throws {
        let (channel, handler) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt", maxVersion: TLS1_2_VERSION)
        try pump(channel, client)
        #expect(handler.state == .active)
        #expect(handler.negotiatedVersion == "TLSv1.2")
        #expect(handler.negotiatedCipher?.contains("GCM") == true || handler.negotiatedCipher?.contains("CHACHA") == true)
    }

    @Test func nonAEADCipherIsRefused() throws {
        let (channel, handler) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt", maxVersion: TLS1_2_VERSION,
                                     cipherList: "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")
        try? pump(channel, client)
        #expect(handler.state == .closed)
        // The alert the server queued reaches the client, which fails too.
        while let alert = try channel.readOutbound(as: ByteBuffer.self) { client.receive(alert) }
        #expect(client.handshakeFailed)
    }

    @Test func garbageFailsTheHandshakeAndCloses() throws {
        let (channel, handler) = try makeChannel()
        #expect(throws: TLSError.self) {
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        }
        #expect(handler.state == .closed)
        #expect(!channel.isActive)
    }

    @Test func clientCloseNotifyIsAnswered() throws {
        let (channel, handler) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        client.closeNotify()
        try pump(channel, client)
        #expect(handler.state == .closing || handler.state == .closed)
        #expect(client.read().closeNotify)
        #expect(!channel.isActive)
    }

    @Test func serverCloseSendsCloseNotify() throws {
        let (channel, handler) = try makeChannel()
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        try channel.close().wait()
        try pump(channel, client)
        #expect(client.read().closeNotify)
        #expect(handler.state != .active)
    }

    @Test func verifiedClientCertificateBecomesAnIdentity() throws {
        let (channel, handler) = try makeChannel(clientAuth: .required)
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt",
                                     certificate: (Self.tls + "/client-ci-pusher.crt", Self.tls + "/client-ci-pusher.key"))
        try pump(channel, client)
        client.write("x")
        try pump(channel, client)
        let identity = try #require(handler.peerIdentity)
        #expect(identity.commonName == "ci-pusher")
        #expect(identity.dnsNames == ["ci-pusher.clients.chartwarden.test"])
        #expect(identity.uris == ["spiffe://chartwarden.test/ci-pusher"])
        #expect(identity.fingerprintSHA256.count == 64)
    }

    @Test func requiredClientAuthRefusesMissingOrForeignCertificates() throws {
        for certificate in [nil, (Self.tls + "/client-intruder.crt", Self.tls + "/client-intruder.key"),
                            (Self.tls + "/client-expired.crt", Self.tls + "/client-expired.key")] {
            let (channel, handler) = try makeChannel(clientAuth: .required)
            let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt", certificate: certificate)
            do {
                try pump(channel, client)
                client.write("x")
                try pump(channel, client)
            } catch let error as TLSError {
                #expect(error.code == .clientCertificateRejected, "\(error)")
            }
            #expect(handler.state == .closed)
            #expect(handler.peerIdentity == nil)
        }
    }

    @Test func optionalClientAuthAcceptsNoCertificate() throws {
        let (channel, handler) = try makeChannel(clientAuth: .optional)
        let client = MemoryTLSClient(caPath: Self.tls + "/ca.crt")
        try pump(channel, client)
        #expect(handler.state == .active)
        #expect(handler.peerIdentity == nil)
    }
}

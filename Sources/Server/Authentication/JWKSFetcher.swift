import AsyncHTTPClient
import ChartWardenCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Reads an OIDC issuer's JWKS for `OIDCVerifier`: files on the thread pool, URLs over HTTPS
/// (verified against `caFile`, or the system's CAs), bounded in size and time, off the event
/// loops that serve requests.
enum JWKSFetcher {
    static let maxBytes = 1 << 20
    static let timeout: TimeAmount = .seconds(10)

    static func fetcher(threadPool: NIOThreadPool) -> OIDCVerifier.Fetch {
        let files = OIDCVerifier.fileFetcher(threadPool: threadPool)
        return { source in
            switch source {
            case .file: return try await files(source)
            case .url(let url, let caFile): return try await fetch(url, caFile: caFile)
            }
        }
    }

    static func fetch(_ url: String, caFile: String?) async throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: timeout, read: timeout)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: timeout)
            guard response.status == .ok else { throw OIDCKeyError("JWKS \(url) answered \(response.status.code)") }
            let body = try await response.body.collect(upTo: maxBytes)
            try await client.shutdown()
            return Array(body.readableBytesView)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

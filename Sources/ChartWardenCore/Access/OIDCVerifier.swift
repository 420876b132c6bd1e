import Foundation
import JWTKit
import NIOPosix
import Synchronization

/// Verifies OIDC workload tokens (README, "OIDC workload identity"): picks the providers of the
/// token's issuer, checks the algorithm and key id against the issuer's JWKS, lets jwt-kit
/// verify the signature, then judges the claims (`OIDCVerdict.judge`).
///
/// Each issuer's JWKS is cached; a key id it does not hold triggers one refresh, at most every
/// `refreshInterval` per provider, so tokens with made-up key ids cannot make the server hammer
/// the issuer. Keys are read off the event loops (`fetch`).
package final class OIDCVerifier: Sendable {
    /// Reads the bytes of a JWKS; blocking or network I/O, never on an event loop.
    package typealias Fetch = @Sendable (OIDCProvider.KeySource) async throws -> [UInt8]

    /// Asymmetric algorithms only: `none` and HMAC (where the "key" would be public) are refused.
    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
    package static let refreshInterval: Duration = .seconds(30)
    /// Between attempts to load keys never loaded yet (the issuer was down).
    package static let retryInterval: Duration = .seconds(5)

    private struct KeySet: Sendable {
        var collection = JWTKeyCollection()
        /// Key id → the algorithms the key may verify (`usableAlgorithms`).
        var keyIDs: [String: Set<String>] = [:]
        var loaded = false
        /// The last fetch that counts against the rate limit (not the first successful load).
        var fetched: ContinuousClock.Instant?
        /// The fetch under way, which concurrent callers await.
        var running: Task<Bool, Never>?
    }

    /// One provider's cached keys.
    private final class KeySetBox: Sendable {
        let state = Mutex(KeySet())
    }

    package let providers: [OIDCProvider]
    private let keySets: [KeySetBox]
    private let fetch: Fetch
    /// The clock the refresh limits read (tests pass a fixed one).
    private let now: @Sendable () -> ContinuousClock.Instant

    package init(providers: [OIDCProvider], fetch: @escaping Fetch,
                 now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.providers = providers
        keySets = providers.map { _ in KeySetBox() }
        self.fetch = fetch
        self.now = now
    }

    /// Reads `file` sources on `threadPool`; `url` sources need a fetcher from the server.
    package static func fileFetcher(threadPool: NIOThreadPool) -> Fetch {
        { source in
            guard case .file(let path) = source else { throw OIDCKeyError("no HTTPS client for \(source)") }
            return try await threadPool.runIfActive {
                guard let data = FileManager.default.contents(atPath: path) else { throw OIDCKeyError("cannot read \(path)") }
                return Array(data)
            }
        }
    }

    package func verify(_ token: String, now: Date = Date()) async -> OIDCVerdict {
        guard let segments = JWTSegments(token) else { return .refused(.malformed) }
        guard case .string(let issuer)? = segments.claims["iss"] else { return .refused(.malformed) }
        let candidates = providers.indices.filter { providers[$0].issuer == issuer }
        guard !candidates.isEmpty else { return .refused(.unknownIssuer) }
        guard Self.algorithms.contains(segments.algorithm) else { return .refused(.algorithm) }
        guard let keyID = segments.keyID else { return .refused(.unknownKey) }
        var refusal = OIDCVerdict.Refusal.unknownIssuer
        // Several providers may share an issuer (other audiences, rules or templates): the first that accepts wins.
        for index in candidates {
            switch await verify(token, segments: segments, keyID: keyID, provider: index, now: now) {
            case .valid(let identity): return .valid(identity)
            case .refused(let why): refusal = why
            }
        }
        return .refused(refusal)
    }

    private func verify(_ token: String, segments: JWTSegments, keyID: String, provider index: Int, now: Date) async
        -> OIDCVerdict {
        var known = keySets[index].state.withLock { $0.keyIDs[keyID] }
        if known == nil {
            guard await refresh(index) else { return .refused(.keysUnavailable) }
            known = keySets[index].state.withLock { $0.keyIDs[keyID] }
        }
        // Never let jwt-kit pick a key for a kid the JWKS does not hold: it would fall back to its first key.
        guard let usable = known else { return .refused(.unknownKey) }
        guard usable.contains(segments.algorithm) else { return .refused(.algorithm) }
        let collection = keySets[index].state.withLock { $0.collection }
        do {
            _ = try await collection.verify(token, as: SignatureOnly.self)
        } catch {
            return .refused(.signature)
        }
        return OIDCVerdict.judge(segments.claims, provider: providers[index], now: now)
    }

    /// Fetches provider `index`'s JWKS: the first load, then a refresh at most every
    /// `refreshInterval` (a rotation right after the first load is picked up at once). Callers
    /// arriving while a fetch runs wait for it rather than being refused (parallel CI jobs at
    /// start). Returns false only when no keys were ever loaded (cached keys stay on a failed
    /// refresh).
    private func refresh(_ index: Int) async -> Bool {
        let now = self.now()
        let box = keySets[index]
        let running = box.state.withLock { state -> Task<Bool, Never>? in
            if let running = state.running { return running }
            let interval = state.loaded ? Self.refreshInterval : Self.retryInterval
            if let fetched = state.fetched, fetched.duration(to: now) < interval { return nil }
            state.fetched = now
            // The task takes the lock to finish, so it cannot clear `running` before it is set.
            let task = Task { await self.load(index) }
            state.running = task
            return task
        }
        guard let running else { return box.state.withLock { $0.loaded } }
        return await running.value
    }

    /// One fetch of provider `index`'s JWKS. Keys without an id, of another type (`oct`: HMAC)
    /// or that jwt-kit cannot use are skipped, not fatal to the others.
    private func load(_ index: Int) async -> Bool {
        let box = keySets[index]
        var loaded: (JWTKeyCollection, [String: Set<String>])?
        if let bytes = try? await fetch(providers[index].keys),
           let jwks = try? JSONDecoder().decode(JWKS.self, from: Data(bytes)) {
            let collection = JWTKeyCollection()
            var keyIDs: [String: Set<String>] = [:]
            for jwk in jwks.keys {
                guard let keyID = jwk.keyIdentifier?.string, let usable = Self.usableAlgorithms(jwk), !usable.isEmpty,
                      (try? await collection.add(jwk: jwk)) != nil else { continue }
                keyIDs[keyID] = usable
            }
            loaded = (collection, keyIDs)
        }
        return box.state.withLock { state in
            state.running = nil
            guard let (collection, keyIDs) = loaded else { return state.loaded }
            if !state.loaded { state.fetched = nil }
            state.loaded = true
            state.collection = collection
            state.keyIDs = keyIDs
            return true
        }
    }

    /// The header algorithms a JWK may verify: its own `alg` when it names one, else those of its
    /// key type (RFC 7517 makes `alg` optional; Entra ID and Keycloak omit it) — RS*/PS* for RSA,
    /// the one ES* of an EC key's curve. Nil for other key types (`oct`: HMAC, `OKP`).
    package static func usableAlgorithms(_ jwk: JWK) -> Set<String>? {
        let family: Set<String>
        switch jwk.keyType {
        case .rsa: family = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        case .ecdsa:
            switch jwk.curve?.rawValue {
            case "P-256": family = ["ES256"]
            case "P-384": family = ["ES384"]
            case "P-521": family = ["ES512"]
            default: return nil
            }
        default: return nil
        }
        guard let named = jwk.algorithm?.rawValue else { return family }
        return family.contains(named) ? [named] : nil
    }

    /// jwt-kit verifies the signature; the claims are judged by `OIDCVerdict.judge`.
    private struct SignatureOnly: JWTPayload {
        init(from decoder: any Decoder) throws {}
        func encode(to encoder: any Encoder) throws {}
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}

package struct OIDCKeyError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

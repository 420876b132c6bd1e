import Credentials
import Foundation
import Logging
import OpenSSLSupport
import Synchronization

/// The htpasswd users, reloaded when the file changes, plus a cache of recently verified
/// passwords so Helm's basic auth on every request does not pay a bcrypt hash each time.
///
/// The cache stores only a keyed SHA-256 of each verified password under a random per-process
/// key, next to the hash it was verified against: a changed or removed htpasswd line empties the
/// user's entry, and the passwords themselves are never kept.
package final class CredentialStore: Sendable {
    package enum Verdict: Equatable {
        case valid
        case wrongPassword
        case unknownUser
    }

    /// What identifies one version of the file on disk (an atomic rename changes the inode).
    private struct FileStamp: Equatable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modifiedSeconds: Int
        let modifiedNanoseconds: Int
    }

    private struct State {
        var stamp: FileStamp?
        var file: HtpasswdFile
        /// Unknown users cost what a known one costs: each probed name is mapped (keyed, so
        /// stably per process but unpredictably) to one of the users' (scheme, work factor)
        /// pairs, weighted by how many users have it, and one of these decoys of that pair is
        /// hashed. Always hashing the most common pair would let the rest (admins at a higher
        /// bcrypt cost, say) be found by timing.
        var decoys: DecoyMix
        var verified: [String: (hash: PasswordHash, proof: SHA256Digest, at: ContinuousClock.Instant)] = [:]
    }

    /// The users' hash parameters with their counts, and one decoy hash of each.
    package struct DecoyMix {
        var weighted: [(parameters: PasswordHash.Parameters, count: Int)]
        var hashes: [PasswordHash.Parameters: PasswordHash]

        /// One decoy of each distinct parameter pair (reusing `previous` ones); an empty file
        /// gets bcrypt cost 10.
        init(for file: HtpasswdFile, reusing previous: DecoyMix? = nil) throws(PasswordHashError) {
            let counts = Dictionary(file.entries.values.map { ($0.parameters, 1) }, uniquingKeysWith: +)
            weighted = counts.map { (parameters: $0.key, count: $0.value) }
                .sorted { ($0.parameters.prefix, $0.parameters.cost) < ($1.parameters.prefix, $1.parameters.cost) }
            if weighted.isEmpty { weighted = [(PasswordHash.Parameters(prefix: "$2b$", cost: 10), 1)] }
            hashes = [:]
            var generator = SystemRandomNumberGenerator()
            for (parameters, _) in weighted {
                if let reused = previous?.hashes[parameters] {
                    hashes[parameters] = reused
                    continue
                }
                let password = String((0..<24).map { _ in Character(Unicode.Scalar(65 + UInt8(generator.next() % 26))) })
                hashes[parameters] = try PasswordHash.make(password: password, parameters: parameters)
            }
        }

        /// The parameters a name maps to, given a uniform `draw`: each pair with the weight of
        /// its user count.
        func parameters(draw: UInt64) -> PasswordHash.Parameters {
            let total = UInt64(weighted.reduce(0) { $0 + $1.count })
            var remaining = draw % total
            for entry in weighted {
                if remaining < UInt64(entry.count) { return entry.parameters }
                remaining -= UInt64(entry.count)
            }
            return weighted[weighted.count - 1].parameters
        }
    }

    package let path: String
    /// Users whose verified password is cached at most. Only names in the file get an entry (a
    /// password must match first), so this bounds memory even for a huge file; past it, expired
    /// entries go, then the least recently verified.
    package let maximumVerified: Int
    private let state: Mutex<State>
    private let cacheKey: [UInt8]
    /// Keys the choice of decoy per name, so an outsider cannot predict which names map where.
    private let decoyKey: [UInt8]
    /// How long a verified password is trusted without hashing again.
    package static let cacheLifetime: Duration = .seconds(300)

    /// The Basic user name whose password is an API or OIDC token (README, "API tokens"): an
    /// htpasswd user of that name could never log in, so the file is refused rather than shadowed.
    package static let reservedUser = "token"

    /// Loads the file; a refused line is a startup error naming the line.
    package init(path: String, maximumVerified: Int = 10_000) throws(ConfigurationError) {
        self.path = path
        self.maximumVerified = maximumVerified
        let (file, stamp) = try Self.load(path)
        let decoys: DecoyMix
        do {
            decoys = try DecoyMix(for: file)
        } catch {
            throw ConfigurationError(key: "auth.htpasswd", "cannot prepare password hashing: \(error)")
        }
        state = Mutex(State(stamp: stamp, file: file, decoys: decoys))
        var generator = SystemRandomNumberGenerator()
        cacheKey = (0..<32).map { _ in generator.next() }
        decoyKey = (0..<32).map { _ in generator.next() }
    }

    /// The decoy parameters an unknown `user` is hashed with.
    package func decoyParameters(for user: String) -> PasswordHash.Parameters {
        let hasher = SHA256Hasher()
        hasher.update(decoyKey)
        hasher.update(Array(user.utf8))
        let draw = hasher.finalize().bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return state.withLock { $0.decoys.parameters(draw: draw) }
    }

    package var userCount: Int { state.withLock { $0.file.entries.count } }

    private static func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                         modifiedSeconds: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
    }

    private static func load(_ path: String) throws(ConfigurationError) -> (HtpasswdFile, FileStamp?) {
        let stamp = stamp(path)
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "auth.htpasswd", "cannot read \(path): \(error.localizedDescription)")
        }
        let file: HtpasswdFile
        do {
            file = try HtpasswdFile.parse(text)
        } catch {
            throw ConfigurationError(key: "auth.htpasswd", "\(path) line \(error.line): \(error.message)")
        }
        guard file.entries[reservedUser] == nil else {
            throw ConfigurationError(key: "auth.htpasswd", "\(path): the user name \"\(reservedUser)\" is reserved "
                + "(Basic auth as user \(reservedUser) presents an API or OIDC token); rename the user")
        }
        return (file, stamp)
    }

    /// Re-reads the file when its inode, size or modification time changed. A file that became
    /// invalid is reported and the previous users stay in force: a bad edit must not open or
    /// close the door by accident. Blocking: call off the event loop.
    package func reloadIfChanged(logger: Logger) {
        let current = Self.stamp(path)
        guard current != state.withLock({ $0.stamp }) else { return }
        do {
            let (file, stamp) = try Self.load(path)
            let previous = state.withLock { $0.decoys }
            let decoys = try DecoyMix(for: file, reusing: previous)
            state.withLock { state in
                state.file = file
                state.decoys = decoys
                state.stamp = stamp
                state.verified = state.verified.filter { file.entries[$0.key] == $0.value.hash }
            }
            logger.info("htpasswd reloaded", metadata: ["path": "\(path)", "users": "\(file.entries.count)"])
        } catch {
            state.withLock { $0.stamp = current }
            logger.error("htpasswd reload failed; keeping the previous users", metadata: ["error": "\(error)"])
        }
    }

    private func proof(_ password: String) -> SHA256Digest {
        let hasher = SHA256Hasher()
        hasher.update(cacheKey)
        hasher.update(Array(password.utf8))
        return hasher.finalize()
    }

    /// Checks a password. Returns whether a hash had to be computed and how many cached entries
    /// were evicted for room (for metrics). Blocking and deliberately slow on a cache miss: call
    /// off the event loop.
    package func verify(user: String, password: String) -> (verdict: Verdict, hashed: Bool, evicted: Int) {
        let now = ContinuousClock.now
        let candidate = proof(password)
        let (hash, cached) = state.withLock { state in (state.file.entries[user], state.verified[user]) }
        guard let hash else {
            let parameters = decoyParameters(for: user)
            _ = state.withLock { $0.decoys.hashes[parameters] }?.matches(password)
            return (.unknownUser, true, 0)
        }
        if let cached, cached.hash == hash, now - cached.at < Self.cacheLifetime,
           ConstantTime.equals(cached.proof.bytes, candidate.bytes) {
            return (.valid, false, 0)
        }
        guard hash.matches(password) else { return (.wrongPassword, true, 0) }
        let evicted = state.withLock { state in
            var evicted = 0
            if state.verified[user] == nil, state.verified.count >= maximumVerified {
                state.verified = state.verified.filter { now - $0.value.at < Self.cacheLifetime }
                if state.verified.count >= maximumVerified,
                   let oldest = state.verified.min(by: { $0.value.at < $1.value.at })?.key {
                    state.verified[oldest] = nil
                    evicted = 1
                }
            }
            state.verified[user] = (hash, candidate, now)
            return evicted
        }
        return (.valid, true, evicted)
    }
}

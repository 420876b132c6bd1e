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
final class CredentialStore: Sendable {
    enum Verdict: Equatable {
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
        /// Hashed for unknown users so that their failures cost what a wrong password costs:
        /// same scheme and work factor as most users (`decoyParameters`), recomputed on reload.
        var decoy: PasswordHash
        var verified: [String: (hash: PasswordHash, proof: SHA256Digest, at: ContinuousClock.Instant)] = [:]
    }

    let path: String
    private let state: Mutex<State>
    private let cacheKey: [UInt8]
    /// How long a verified password is trusted without hashing again.
    static let cacheLifetime: Duration = .seconds(300)

    /// Loads the file; a refused line is a startup error naming the line.
    init(path: String) throws(ConfigurationError) {
        self.path = path
        let (file, stamp) = try Self.load(path)
        let decoy: PasswordHash
        do {
            decoy = try Self.decoy(for: file)
        } catch {
            throw ConfigurationError(key: "auth.htpasswd", "cannot prepare password hashing: \(error)")
        }
        state = Mutex(State(stamp: stamp, file: file, decoy: decoy))
        var generator = SystemRandomNumberGenerator()
        cacheKey = (0..<32).map { _ in generator.next() }
    }

    /// The most common (scheme, work factor) among the users, ties going to the costlier; an
    /// empty file gets bcrypt cost 10. A decoy of any other cost would tell unknown names apart.
    static func decoyParameters(for file: HtpasswdFile) -> PasswordHash.Parameters {
        let counts = Dictionary(file.entries.values.map { ($0.parameters, 1) }, uniquingKeysWith: +)
        let best = counts.max { ($0.value, $0.key.cost, $0.key.prefix) < ($1.value, $1.key.cost, $1.key.prefix) }
        return best?.key ?? PasswordHash.Parameters(prefix: "$2b$", cost: 10)
    }

    private static func decoy(for file: HtpasswdFile) throws(PasswordHashError) -> PasswordHash {
        var generator = SystemRandomNumberGenerator()
        let password = String((0..<24).map { _ in Character(Unicode.Scalar(65 + UInt8(generator.next() % 26))) })
        return try PasswordHash.make(password: password, parameters: decoyParameters(for: file))
    }

    /// The parameters of the decoy now in use (tests).
    var decoyParameters: PasswordHash.Parameters { state.withLock { $0.decoy.parameters } }

    var userCount: Int { state.withLock { $0.file.entries.count } }

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
        do {
            return (try HtpasswdFile.parse(text), stamp)
        } catch {
            throw ConfigurationError(key: "auth.htpasswd", "\(path) line \(error.line): \(error.message)")
        }
    }

    /// Re-reads the file when its inode, size or modification time changed. A file that became
    /// invalid is reported and the previous users stay in force: a bad edit must not open or
    /// close the door by accident. Blocking: call off the event loop.
    func reloadIfChanged(logger: Logger) {
        let current = Self.stamp(path)
        guard current != state.withLock({ $0.stamp }) else { return }
        do {
            let (file, stamp) = try Self.load(path)
            let previous = state.withLock { $0.decoy }
            let decoy = previous.parameters == Self.decoyParameters(for: file) ? previous : try Self.decoy(for: file)
            state.withLock { state in
                state.file = file
                state.decoy = decoy
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

    /// Checks a password. Returns whether a hash had to be computed (for metrics). Blocking and
    /// deliberately slow on a cache miss: call off the event loop.
    func verify(user: String, password: String) -> (verdict: Verdict, hashed: Bool) {
        let now = ContinuousClock.now
        let candidate = proof(password)
        let (hash, cached, decoy) = state.withLock { state in
            (state.file.entries[user], state.verified[user], state.decoy)
        }
        guard let hash else {
            _ = decoy.matches(password)
            return (.unknownUser, true)
        }
        if let cached, cached.hash == hash, now - cached.at < Self.cacheLifetime,
           ConstantTime.equals(cached.proof.bytes, candidate.bytes) {
            return (.valid, false)
        }
        guard hash.matches(password) else { return (.wrongPassword, true) }
        state.withLock { $0.verified[user] = (hash, candidate, now) }
        return (.valid, true)
    }
}

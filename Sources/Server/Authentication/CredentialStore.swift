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
        var verified: [String: (hash: PasswordHash, proof: SHA256Digest, at: ContinuousClock.Instant)] = [:]
    }

    let path: String
    private let state: Mutex<State>
    private let cacheKey: [UInt8]
    /// Hashed for unknown users so that their failures take as long as a wrong password.
    private let decoy: PasswordHash
    /// How long a verified password is trusted without hashing again.
    static let cacheLifetime: Duration = .seconds(300)

    /// Loads the file; a refused line is a startup error naming the line.
    init(path: String) throws(ConfigurationError) {
        self.path = path
        let (file, stamp) = try Self.load(path)
        state = Mutex(State(stamp: stamp, file: file))
        var generator = SystemRandomNumberGenerator()
        cacheKey = (0..<32).map { _ in generator.next() }
        // The decoy costs what the file's bcrypt entries cost, so timing does not tell users apart.
        let costs = file.entries.values.compactMap { $0.scheme == .bcrypt ? Int($0.text.dropFirst(4).prefix(2)) : nil }
        do {
            decoy = try PasswordHash.bcrypt(password: String(cacheKey.map { Character(Unicode.Scalar(65 + $0 % 26)) }),
                                            cost: min(costs.max() ?? 10, 14))
        } catch {
            throw ConfigurationError(key: "auth.htpasswd", "cannot prepare password hashing: \(error)")
        }
    }

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
            state.withLock { state in
                state.file = file
                state.stamp = stamp
                state.verified = state.verified.filter { file.entries[$0.key] == $0.value.hash }
            }
            logger.info("htpasswd reloaded", metadata: ["path": "\(path)", "users": "\(file.entries.count)"])
        } catch {
            state.withLock { $0.stamp = current }
            logger.error("htpasswd reload failed; keeping the previous users", metadata: ["error": "\(error.message)"])
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
        let (hash, cached) = state.withLock { state in
            (state.file.entries[user], state.verified[user])
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

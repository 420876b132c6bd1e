import Credentials
import Foundation
import Logging
@testable import ChartWardenCore
import Testing

/// Unknown user names are answered after hashing a decoy; a decoy of another scheme or cost than
/// the users' hashes would let timing tell names apart.
@Suite struct CredentialStoreDecoyTests {
    static func bcrypt(cost: Int) -> String { "$2y$" + String(format: "%02d", cost) + "$" + String(repeating: "a", count: 53) }
    static func sha256(rounds: Int) -> String { "$5$rounds=\(rounds)$saltsalt$" + String(repeating: "b", count: 43) }

    /// Each probed name maps, stably, to one of the users' (scheme, cost) pairs, so names are
    /// spread over the whole mix (admins at a higher cost are not the only slow ones); reloads
    /// follow the new mix.
    @Test func theDecoyFollowsTheUsersCostMixPerNameAndFollowsReloads() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("htpasswd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "alice:\(Self.sha256(rounds: 2_000))\nbob:\(Self.sha256(rounds: 2_000))\ncarol:\(Self.bcrypt(cost: 4))\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let store = try CredentialStore(path: path)
        let names = (0..<200).map { "probe\($0)" }
        let chosen = names.map { store.decoyParameters(for: $0) }
        #expect(Set(chosen) == [PasswordHash.Parameters(prefix: "$5$", cost: 2_000), .init(prefix: "$2y$", cost: 4)])
        #expect(names.map { store.decoyParameters(for: $0) } == chosen)

        try "alice:\(Self.bcrypt(cost: 5))\nbob:\(Self.bcrypt(cost: 5))\ncarol:\(Self.sha256(rounds: 1_000))\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        store.reloadIfChanged(logger: Logger(label: "test"))
        #expect(Set(names.map { store.decoyParameters(for: $0) })
                == [PasswordHash.Parameters(prefix: "$2y$", cost: 5), .init(prefix: "$5$", cost: 1_000)])
        // An unknown name is still just a failure.
        #expect(store.verify(user: "mallory", password: "guess").verdict == .unknownUser)
    }

    /// Weighted by count: with three users at one cost and one at another, a uniform draw lands
    /// on each pair in proportion.
    @Test func theMixIsWeightedByUserCount() throws {
        let file = try HtpasswdFile.parse((0..<3).map { "u\($0):\(Self.bcrypt(cost: 4))" }.joined(separator: "\n")
                                              + "\nadmin:\(Self.bcrypt(cost: 5))\n")
        let mix = try CredentialStore.DecoyMix(for: file)
        let drawn = (0..<400).map { mix.parameters(draw: UInt64($0)) }
        #expect(drawn.filter { $0.cost == 4 }.count == 300)
        #expect(drawn.filter { $0.cost == 5 }.count == 100)
    }

    /// A cost-31 bcrypt line would stall startup (the decoy) and every login: refused at load,
    /// naming the line.
    @Test func anExcessiveWorkFactorIsRefusedAtLoad() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("htpasswd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "alice:\(Self.bcrypt(cost: 4))\nroot:\(Self.bcrypt(cost: 31))\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationError.self) { try CredentialStore(path: path) }
        #expect(error?.message.contains("line 2") == true)
        #expect(error?.message.contains("bcrypt cost 31 is above 14") == true)
        #expect(throws: PasswordHashError.self) { try PasswordHash(Self.sha256(rounds: 1_000_001)) }
        #expect(try PasswordHash(Self.bcrypt(cost: 14)).parameters.cost == 14)
    }

    @Test func parametersOfEachScheme() throws {
        #expect(try PasswordHash(Self.bcrypt(cost: 12)).parameters == .init(prefix: "$2y$", cost: 12))
        #expect(try PasswordHash(Self.sha256(rounds: 7_000)).parameters == .init(prefix: "$5$", cost: 7_000))
        #expect(try PasswordHash("$6$saltsalt$" + String(repeating: "c", count: 86)).parameters == .init(prefix: "$6$", cost: 5_000))
    }

    /// The verified-password cache holds at most `maximumVerified` users; past it the least
    /// recently verified is evicted (and must be hashed again), the others stay cache hits.
    @Test func theVerifiedPasswordCacheIsBounded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("htpasswd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parameters = PasswordHash.Parameters(prefix: "$5$", cost: 1_000)
        let lines = try ["ann", "ben", "cat"].map { name in "\(name):\(try PasswordHash.make(password: name + "-pw", parameters: parameters).text)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let store = try CredentialStore(path: path, maximumVerified: 2)
        #expect(store.verify(user: "ann", password: "ann-pw") == (.valid, true, 0))
        #expect(store.verify(user: "ben", password: "ben-pw") == (.valid, true, 0))
        #expect(store.verify(user: "ben", password: "ben-pw") == (.valid, false, 0))
        #expect(store.verify(user: "cat", password: "cat-pw") == (.valid, true, 1))
        #expect(store.verify(user: "ben", password: "ben-pw") == (.valid, false, 0))
        #expect(store.verify(user: "cat", password: "cat-pw") == (.valid, false, 0))
        #expect(store.verify(user: "ann", password: "ann-pw").hashed, "ann was evicted")
    }
}

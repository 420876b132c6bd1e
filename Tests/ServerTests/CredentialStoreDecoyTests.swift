import Credentials
import Foundation
import Logging
@testable import Server
import Testing

/// Unknown user names are answered after hashing a decoy; a decoy of another scheme or cost than
/// the users' hashes would let timing tell names apart.
@Suite struct CredentialStoreDecoyTests {
    static func bcrypt(cost: Int) -> String { "$2y$" + String(format: "%02d", cost) + "$" + String(repeating: "a", count: 53) }
    static func sha256(rounds: Int) -> String { "$5$rounds=\(rounds)$saltsalt$" + String(repeating: "b", count: 43) }

    @Test func theDecoyTakesTheMostCommonSchemeAndCostAndFollowsReloads() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("htpasswd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "alice:\(Self.sha256(rounds: 2_000))\nbob:\(Self.sha256(rounds: 2_000))\ncarol:\(Self.bcrypt(cost: 4))\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let store = try CredentialStore(path: path)
        #expect(store.decoyParameters == PasswordHash.Parameters(prefix: "$5$", cost: 2_000))

        try "alice:\(Self.bcrypt(cost: 5))\nbob:\(Self.bcrypt(cost: 5))\ncarol:\(Self.sha256(rounds: 1_000))\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        store.reloadIfChanged(logger: Logger(label: "test"))
        #expect(store.decoyParameters == PasswordHash.Parameters(prefix: "$2y$", cost: 5))
        // An unknown name is still just a failure.
        #expect(store.verify(user: "mallory", password: "guess").verdict == .unknownUser)
    }

    @Test func parametersOfEachScheme() throws {
        #expect(try PasswordHash(Self.bcrypt(cost: 12)).parameters == .init(prefix: "$2y$", cost: 12))
        #expect(try PasswordHash(Self.sha256(rounds: 7_000)).parameters == .init(prefix: "$5$", cost: 7_000))
        #expect(try PasswordHash("$6$saltsalt$" + String(repeating: "c", count: 86)).parameters == .init(prefix: "$6$", cost: 5_000))
    }
}

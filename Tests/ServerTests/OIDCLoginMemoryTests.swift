import Foundation
@testable import Server
import Testing

@Suite("OIDC login memory")
struct OIDCLoginMemoryTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func login(_ subject: String, principal: String = "ci:octo-org/app") -> OIDCLoginMemory.Login {
        OIDCLoginMemory.Login(issuer: "https://token.actions.example", subject: subject, principal: principal)
    }

    @Test func eachWorkloadIsAuditedOncePerWindowUntilForgotten() {
        var memory = OIDCLoginMemory()
        var answers: [Bool] = []
        // The same workload with any number of fresh tokens is one login; another principal is another.
        for login in [Self.login("a"), Self.login("a"), Self.login("a", principal: "ci:octo-org/other"), Self.login("b")] {
            answers.append(memory.firstUse(of: login, now: Self.now))
        }
        memory.forget(Self.login("a"))
        answers.append(memory.firstUse(of: Self.login("a"), now: Self.now))
        answers.append(memory.firstUse(of: Self.login("b"), now: Self.now.addingTimeInterval(OIDCLoginMemory.window - 1)))
        answers.append(memory.firstUse(of: Self.login("b"), now: Self.now.addingTimeInterval(OIDCLoginMemory.window + 1)))
        #expect(answers == [true, false, true, true, true, false, true])
    }

    /// The hostile review's F3: when full, the memory used to empty itself, so every workload was
    /// audited again; now only the oldest login is forgotten.
    @Test func aFullMemoryForgetsOnlyItsOldestLogin() {
        var memory = OIDCLoginMemory()
        var fresh: [Bool] = []
        for index in 0..<OIDCLoginMemory.capacity {
            fresh.append(memory.firstUse(of: Self.login("s\(index)"), now: Self.now))
        }
        #expect(fresh.allSatisfy { $0 })
        var answers = [memory.firstUse(of: Self.login("new"), now: Self.now)]
        #expect(memory.count == OIDCLoginMemory.capacity)
        answers.append(memory.firstUse(of: Self.login("s1"), now: Self.now))
        answers.append(memory.firstUse(of: Self.login("s\(OIDCLoginMemory.capacity - 1)"), now: Self.now))
        answers.append(memory.firstUse(of: Self.login("s0"), now: Self.now))
        #expect(answers == [true, false, false, true])
        #expect(memory.count == OIDCLoginMemory.capacity)
    }

    /// Webhooks review F14: below capacity, each login re-audited after its window left a stale
    /// entry in the order queue, forever.
    @Test func reAuditedLoginsDoNotGrowTheQueue() {
        var memory = OIDCLoginMemory()
        for round in 0..<1_000 {
            let now = Self.now.addingTimeInterval(Double(round) * (OIDCLoginMemory.window + 1))
            for index in 0..<100 {
                let audited = memory.firstUse(of: Self.login("s\(index)"), now: now)
                #expect(audited)
            }
        }
        #expect(memory.count == 100)
        #expect(memory.queued <= 2 * 100 + 64)
    }
}

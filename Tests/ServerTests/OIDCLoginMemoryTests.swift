import Foundation
@testable import Server
import Testing

@Suite("OIDC login memory")
struct OIDCLoginMemoryTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func eachTokenIsAuditedOnceUntilForgotten() {
        var memory = OIDCLoginMemory()
        let live = Self.now.addingTimeInterval(60)
        var answers: [Bool] = []
        for token in ["a.b.c", "a.b.c", "a.b.d"] {
            answers.append(memory.firstUse(of: token, expiresAt: live, now: Self.now))
        }
        memory.forget("a.b.c")
        answers.append(memory.firstUse(of: "a.b.c", expiresAt: live, now: Self.now))
        #expect(answers == [true, false, true, true])
    }

    @Test func memoryIsBoundedAndDropsExpiredTokensFirst() {
        var memory = OIDCLoginMemory()
        for index in 0..<OIDCLoginMemory.capacity {
            _ = memory.firstUse(of: "expired.\(index).x", expiresAt: Self.now.addingTimeInterval(-1), now: Self.now)
        }
        #expect(memory.count == OIDCLoginMemory.capacity)
        let first = memory.firstUse(of: "live.token.x", expiresAt: Self.now.addingTimeInterval(60), now: Self.now)
        #expect(first)
        #expect(memory.count == 1)
    }
}

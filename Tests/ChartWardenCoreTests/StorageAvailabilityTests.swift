import Storage
import Testing
@testable import ChartWardenCore

/// A database that cannot be reached becomes a 503 with `Retry-After` and no details, at both
/// doors; any other store failure stays a 500. Readiness probes the store at most once per
/// second.
@Suite struct StorageAvailabilityTests {
    @Test func anUnreachableStoreIsUnavailableWithRetryAfterAndNoDetails() {
        let cause = StorageError(.unavailable, "cannot connect to PostgreSQL at postgresql://cw@10.0.0.7:5432/charts")
        let error = ServiceError(.internalError, "could not store x: \(cause)", cause: cause)
        #expect(error.code == .unavailable)
        #expect(error.retryAfterSeconds == ServiceError.storageRetryAfterSeconds)
        #expect(!error.message.contains("10.0.0.7") && !error.message.contains("postgresql"))
        let oci = OCIError(.internalError, "blob lookup failed: \(cause)", cause: cause)
        #expect(oci.code == .unavailable && oci.retryAfterSeconds == ServiceError.storageRetryAfterSeconds)
        #expect(!oci.message.contains("10.0.0.7"))
        // Once wrapped on its way up, still unavailable.
        #expect(ServiceError(.internalError, "outer", cause: error).code == .unavailable)
        #expect(OCIError(error).code == .unavailable && OCIError(error).retryAfterSeconds != nil)
    }

    @Test func otherStoreFailuresStayInternalErrors() {
        for code: StorageError.Code in [.io, .corrupt, .conflict, .notFound] {
            let error = ServiceError(.internalError, "could not store x", cause: StorageError(code, "disk"))
            #expect(error.code == .internalError && error.retryAfterSeconds == nil, "\(code)")
        }
        #expect(OCIError(.internalError, "x", cause: StorageError(.io, "disk")).code == .internalError)
    }

    @Test func aProbeIsRememberedAboutASecond() {
        var memory = ReadinessMemory(freshFor: .seconds(1))
        let start = ContinuousClock.now
        #expect(memory.verdict(now: start) == nil)
        memory.remember(.notReady("down"), at: start)
        #expect(memory.verdict(now: start + .milliseconds(999)) == .notReady("down"))
        #expect(memory.verdict(now: start + .seconds(1)) == nil)
        memory.remember(.ready, at: start + .seconds(1))
        #expect(memory.verdict(now: start + .milliseconds(1500)) == .ready)
        // A clock that went backwards does not keep an old verdict alive.
        #expect(memory.verdict(now: start) == nil)
    }
}

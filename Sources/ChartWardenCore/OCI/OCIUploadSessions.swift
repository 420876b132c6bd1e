import Foundation
import Storage

/// Blob upload sessions in progress (`POST /v2/<name>/blobs/uploads/` until the closing `PUT`).
/// Pure bookkeeping: the bytes go to a `BlobWriter` the registry drives on the thread pool.
/// Bounded per uploader and in total, and expired after `idleSeconds` without a request, so a
/// writer cannot hold temp files open without end. One request at a time may use a session.
package actor OCIUploadSessions {
    /// A session's writer, handed to one request at a time (`checkOut` marks it busy), so the
    /// non-Sendable writer is never used from two places.
    package final class Handle: @unchecked Sendable {
        package let id: String
        package let address: OCIAddress
        package let owner: String
        package let writer: any BlobWriter
        fileprivate var busy = false
        fileprivate var lastUsed: Date

        init(id: String, address: OCIAddress, owner: String, writer: any BlobWriter, now: Date) {
            self.id = id
            self.address = address
            self.owner = owner
            self.writer = writer
            lastUsed = now
        }
    }

    package let perOwnerLimit: Int
    package let totalLimit: Int
    package let idleSeconds: TimeInterval
    private var sessions: [String: Handle] = [:]

    package init(perOwnerLimit: Int = 16, totalLimit: Int = 256, idleSeconds: TimeInterval = 900) {
        self.perOwnerLimit = perOwnerLimit
        self.totalLimit = totalLimit
        self.idleSeconds = idleSeconds
    }

    /// Sessions idle too long, removed; the caller aborts their writers on the pool.
    package func expire(now: Date) -> [Handle] {
        let expired = sessions.values.filter { !$0.busy && now.timeIntervalSince($0.lastUsed) > idleSeconds }
        for handle in expired { sessions[handle.id] = nil }
        return expired
    }

    /// Whether `owner` may open one more session.
    package func admits(owner: String) throws(OCIError) {
        guard sessions.count < totalLimit else {
            throw OCIError(.tooManyRequests, "too many uploads in progress; retry later", retryAfterSeconds: 10)
        }
        guard sessions.values.filter({ $0.owner == owner }).count < perOwnerLimit else {
            throw OCIError(.tooManyRequests, "\(owner) has \(perOwnerLimit) uploads in progress; finish or cancel one",
                           retryAfterSeconds: 10)
        }
    }

    /// Registers a session whose writer is already open; returns false (the caller aborts the
    /// writer) when the limits were reached meanwhile.
    package func insert(address: OCIAddress, owner: String, writer: any BlobWriter, now: Date) -> Handle? {
        guard (try? admits(owner: owner)) != nil else { return nil }
        let handle = Handle(id: UUID().uuidString.lowercased(), address: address, owner: owner, writer: writer, now: now)
        handle.busy = true
        sessions[handle.id] = handle
        return handle
    }

    /// The session `id` for a request on `address` by `owner`, marked busy. Another owner's
    /// session is unknown to the caller, not forbidden: ids are not a way to probe.
    package func checkOut(_ id: String, address: OCIAddress, owner: String) throws(OCIError) -> Handle {
        guard let handle = sessions[id], handle.address == address, handle.owner == owner else {
            throw OCIError(.blobUploadUnknown, "upload \(id) is not known (finished, cancelled, expired or never started)")
        }
        guard !handle.busy else {
            throw OCIError(.blobUploadInvalid, "upload \(id) is in use by another request", statusOverride: 409)
        }
        handle.busy = true
        return handle
    }

    /// Gives a session back after a request that left it open.
    package func checkIn(_ handle: Handle, now: Date) {
        handle.busy = false
        handle.lastUsed = now
    }

    /// Ends a session (finished, cancelled or failed); its writer is the caller's to commit or abort.
    package func remove(_ handle: Handle) {
        sessions[handle.id] = nil
    }

    package var count: Int { sessions.count }
}

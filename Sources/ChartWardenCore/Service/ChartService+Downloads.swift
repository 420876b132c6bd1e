import ChartArchive
import ChartIndex
import ChartModel
import ContentPolicy
import Foundation
import NIOCore
import OpenSSLSupport
import Provenance
import Storage

/// Serving stored bytes and the audit log.
extension ChartService {
    /// The bytes of `N-V.tgz` or `N-V.tgz.prov`, from memory when recently served.
    package func file(named fileName: String, in repository: ChartRepository, snapshot: IndexSnapshot? = nil)
        async throws(ServiceError) -> (ServedFile, ByteBuffer) {
        let snapshot = snapshot ?? repository.snapshot
        guard let file = snapshot.files[fileName] else {
            if let reason = snapshot.withheld[fileName] {
                throw ServiceError(.forbidden, "\(fileName) is quarantined: \(reason)")
            }
            throw ServiceError(.notFound, "\(fileName) not found")
        }
        if let cached = blobCache.get(file.digest) { return (file, cached) }
        let buffer: ByteBuffer = try await offloadMapping { [blobs, blobCache] () throws(ServiceError) in
            do {
                let buffer = ByteBuffer(bytes: try blobs.read(file.digest))
                blobCache.put(file.digest, buffer)
                return buffer
            } catch {
                throw ServiceError(.internalError, "\(fileName) is unreadable: \(error)")
            }
        }
        return (file, buffer)
    }

    // MARK: audit

    package func auditEvents(_ query: AuditQuery) async throws(ServiceError) -> [AuditEvent] {
        try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                return try metadata.auditEvents(query)
            } catch {
                throw ServiceError(.internalError, "cannot read the audit log")
            }
        }
    }

}

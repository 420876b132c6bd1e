import ChartArchive
import ChartIndex
import ChartModel
import Foundation
import NIOCore
import NIOPosix
import OpenSSLSupport
import Storage

/// The repository service: ingest, publish, delete and serve charts for every configured
/// repository. Knows nothing about HTTP. Blocking work (libarchive, SQLite, file I/O, index
/// rendering) runs on `threadPool`, never on an event loop or the cooperative pool.
public final class ChartService: Sendable {
    public enum UploadOutcome: Sendable, Equatable {
        case published
        case staged
    }

    let repositories: [String: ChartRepository]
    let metadata: any MetadataStore
    let blobs: any BlobStore
    let publisher: ChartPublisher
    let archiveReader: ChartArchiveReader
    let provenanceGate: any ProvenanceGate
    let blobCache: BlobCache
    let threadPool: NIOThreadPool

    public init(configuration: ChartWardenConfiguration, metadata: any MetadataStore, blobs: any BlobStore,
                provenanceGate: any ProvenanceGate = UncheckedProvenanceGate(),
                archiveReader: ChartArchiveReader = ChartArchiveReader(), threadPool: NIOThreadPool = .singleton) {
        var repositories: [String: ChartRepository] = [:]
        for repository in configuration.repositories {
            repositories[repository.name] = ChartRepository(configuration: repository, publicURL: configuration.server.publicURL)
        }
        self.repositories = repositories
        self.metadata = metadata
        self.blobs = blobs
        self.publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        self.archiveReader = archiveReader
        self.provenanceGate = provenanceGate
        self.blobCache = BlobCache(budgetBytes: 256 << 20, largestEntryBytes: 8 << 20)
        self.threadPool = threadPool
    }

    public func repository(named name: String) -> ChartRepository? { repositories[name] }

    /// Registers repositories and loads every active chart into the in-memory indexes.
    public func warm() async throws {
        try await offload { [self] in
            for name in repositories.keys { try metadata.ensureRepository(name) }
            let records = try metadata.allCharts(statuses: [.active])
            let byRepository = Dictionary(grouping: records, by: \.repository)
            for (name, repository) in repositories {
                try repository.load(byRepository[name] ?? [])
            }
        }
    }

    // MARK: uploads

    /// Ingests a chart (and its prov, when given together). Everything is validated and asked of
    /// the provenance gate before the first byte is stored.
    public func upload(chart: [UInt8], provenance: [UInt8]?, to repository: ChartRepository, uploader: String,
                       force: Bool) async throws(ServiceError) -> UploadOutcome {
        let package: ChartPackage = try await offloadMapping { [archiveReader] () throws(ServiceError) in
            do {
                return try archiveReader.read(bytes: chart)
            } catch let error as ChartArchiveError {
                throw ServiceError(.badRequest, error.message)
            } catch {
                throw ServiceError(.badRequest, "\(error)")
            }
        }
        if let provenance {
            let envelope = try ProvenanceEnvelope(bytes: provenance)
            guard envelope.name == package.metadata.name, envelope.version == package.metadata.version else {
                throw ServiceError(.badRequest, "provenance file is for \(envelope.name) \(envelope.version), "
                    + "not \(package.metadata.name) \(package.metadata.version)")
            }
        }
        let decision = await provenanceGate.evaluate(ProvenanceSubmission(
            repository: repository.configuration, package: package, chartBytes: chart, provenance: provenance,
            uploader: uploader))
        let status: ChartStatus
        switch decision {
        case .publish: status = .active
        case .stage: status = .pending
        case .reject(let message, _): throw ServiceError(.forbidden, message)
        }
        let configuration = repository.configuration
        let record: ChartVersionRecord = try await offloadMapping { [self] () throws(ServiceError) in
            let existing: ChartVersionRecord?
            do {
                existing = try metadata.chart(repository: configuration.name, name: package.metadata.name,
                                              version: package.metadata.version)
            } catch {
                throw ServiceError(.internalError, "\(error)")
            }
            if let existing, existing.status != .deleted {
                guard force, configuration.allowOverwrite, existing.status == .active else {
                    let hint = configuration.allowOverwrite ? " (use ?force to overwrite)" : ""
                    throw ServiceError(.conflict, "\(package.fileName) already exists in this repository\(hint)")
                }
            }
            do {
                return try publisher.publish(archive: chart, provenance: provenance, chart: package.metadata,
                                             repository: configuration.name, uploader: uploader, status: status,
                                             replacing: existing)
            } catch let error as StorageError where error.code == .conflict {
                throw ServiceError(.conflict, "\(package.fileName) already exists in this repository")
            } catch {
                throw ServiceError(.internalError, "could not store \(package.fileName): \(error)")
            }
        }
        guard status == .active else { return .staged }
        try await refreshIndex(repository) { try repository.didPublish(record) }
        return .published
    }

    /// Attaches a prov to the stored chart it names (`POST /api/R/prov`).
    public func attachProvenance(_ provenance: [UInt8], to repository: ChartRepository, uploader: String)
        async throws(ServiceError) {
        let envelope = try ProvenanceEnvelope(bytes: provenance)
        let configuration = repository.configuration
        let fileName = IndexEntry.fileName(name: envelope.name, version: envelope.version)
        let record: ChartVersionRecord = try await offloadMapping { [self] () throws(ServiceError) in
            do {
                guard var record = try metadata.chart(repository: configuration.name, name: envelope.name,
                                                      version: envelope.version),
                      record.status == .active || record.status == .pending, let id = record.id else {
                    throw ServiceError(.notFound, "no chart \(fileName) is stored or staged for this provenance file")
                }
                let digest = try blobs.write(provenance)
                try metadata.setProvenance(id: id, digest: digest.hex, audit: AuditEvent(
                    at: Date(), repository: configuration.name, actor: uploader, action: "provenance",
                    outcome: "stored", subject: "\(envelope.name)-\(envelope.version)"))
                record.provenanceDigest = digest.hex
                return record
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "could not store the provenance file: \(error)")
            }
        }
        if record.status == .active {
            try await refreshIndex(repository) { try repository.didPublish(record) }
        }
    }

    /// Removes a version from the index and from downloads; the bytes stay until purged.
    public func delete(name: String, version: String, from repository: ChartRepository, actor: String)
        async throws(ServiceError) {
        let configuration = repository.configuration
        try await offloadMapping { [self] () throws(ServiceError) in
            do {
                guard let record = try metadata.chart(repository: configuration.name, name: name, version: version),
                      record.status == .active, let id = record.id else {
                    throw ServiceError(.notFound, "chart \(name) version \(version) not found")
                }
                try metadata.updateStatus(id: id, to: .deleted, reason: "deleted by \(actor)", audit: AuditEvent(
                    at: Date(), repository: configuration.name, actor: actor, action: "delete", outcome: "deleted",
                    subject: "\(name)-\(version)"))
                repository.didRemove(name: name, version: version)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "could not delete \(name) \(version): \(error)")
            }
        }
    }

    private func refreshIndex(_ repository: ChartRepository, _ body: @escaping @Sendable () throws -> Void)
        async throws(ServiceError) {
        try await offloadMapping { () throws(ServiceError) in
            do { try body() } catch { throw ServiceError(.internalError, "index update failed: \(error)") }
        }
    }

    // MARK: downloads

    /// The bytes of `N-V.tgz` or `N-V.tgz.prov`, from memory when recently served.
    func file(named fileName: String, in repository: ChartRepository) async throws(ServiceError)
        -> (ServedFile, ByteBuffer) {
        guard let file = repository.snapshot.files[fileName] else {
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

    func auditEvents(_ query: AuditQuery) async throws(ServiceError) -> [AuditEvent] {
        try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                return try metadata.auditEvents(query)
            } catch {
                throw ServiceError(.internalError, "cannot read the audit log")
            }
        }
    }

    // MARK: thread pool

    private func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    /// Runs blocking work on the thread pool, keeping `ServiceError`s typed.
    private func offloadMapping<T: Sendable>(_ body: @escaping @Sendable () throws(ServiceError) -> T)
        async throws(ServiceError) -> T {
        do {
            return try await threadPool.runIfActive { try body() }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.unavailable, "the server is shutting down")
        }
    }
}

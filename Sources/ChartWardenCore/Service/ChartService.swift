import ChartArchive
import ChartIndex
import ChartModel
import ContentPolicy
import Foundation
import NIOCore
import NIOPosix
import OpenSSLSupport
import Provenance
import Storage

/// The repository service: ingest, publish, delete and serve charts for every configured
/// repository. Knows nothing about HTTP. Blocking work (libarchive, SQLite, file I/O, index
/// rendering) runs on `threadPool`, never on an event loop or the cooperative pool.
public final class ChartService: Sendable {
    public enum UploadOutcome: Sendable, Equatable {
        case published
        case staged
    }

    package let repositories: [String: ChartRepository]
    package let metadata: any MetadataStore
    package let blobs: any BlobStore
    package let publisher: ChartPublisher
    package let archiveReader: ChartArchiveReader
    public let trust: TrustStore
    package let provenanceGate: any ProvenanceGate
    package let blobCache: BlobCache
    package let threadPool: NIOThreadPool
    package let configuration: ChartWardenConfiguration

    public init(configuration: ChartWardenConfiguration, metadata: any MetadataStore, blobs: any BlobStore,
                trust: TrustStore, provenanceGate: (any ProvenanceGate)? = nil,
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
        self.trust = trust
        self.provenanceGate = provenanceGate ?? VerifyingProvenanceGate(trust: trust, threadPool: threadPool)
        self.configuration = configuration
        self.blobCache = BlobCache(budgetBytes: 256 << 20, largestEntryBytes: 8 << 20)
        self.threadPool = threadPool
    }

    public func repository(named name: String) -> ChartRepository? { repositories[name] }

    /// Registers repositories, imports each repository's `trustedKeys` (trusting them there),
    /// and loads every active chart into the in-memory indexes.
    public func warm() async throws {
        try await offload { [self] in
            for name in repositories.keys { try metadata.ensureRepository(name) }
            for repository in configuration.repositories {
                for path in repository.trustedKeys {
                    guard let bytes = FileManager.default.contents(atPath: path) else {
                        throw ServiceError(.internalError, "cannot read trusted key \(path) of repository '\(repository.name)'")
                    }
                    do {
                        _ = try trust.importKeys(Array(bytes), trustFor: repository.name, actor: "config")
                    } catch let error as ServiceError where error.code == .badRequest {
                        // A key the checks refuse (weak, poisoned) is skipped, not fatal: startup goes on.
                        TrustStore.logger.error("trusted key \(path) of repository '\(repository.name)' refused, skipped: \(error.message)")
                    } catch let error as ServiceError {
                        throw ServiceError(.internalError, "trusted key \(path) of repository '\(repository.name)': \(error.message)")
                    }
                }
            }
            let records = try metadata.allCharts(statuses: [.active, .quarantined])
            let byRepository = Dictionary(grouping: records, by: \.repository)
            for (name, repository) in repositories {
                let all = byRepository[name] ?? []
                try repository.load(all.filter { $0.status == .active }, quarantined: all.filter { $0.status == .quarantined })
            }
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

    package func refreshIndex(_ repository: ChartRepository, _ body: @escaping @Sendable () throws -> Void)
        async throws(ServiceError) {
        try await offloadMapping { () throws(ServiceError) in
            do { try body() } catch { throw ServiceError(.internalError, "index update failed: \(error)") }
        }
    }

    // MARK: thread pool

    package func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    /// Runs blocking work on the thread pool, keeping `ServiceError`s typed.
    package func offloadMapping<T: Sendable>(_ body: @escaping @Sendable () throws(ServiceError) -> T)
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

import Foundation
import NIOCore
import OpenSSLSupport
import Storage

/// The OCI distribution API over the same store as the classic door (README, "OCI"): blobs,
/// uploads, manifests and tags of chart versions. Pushes publish through `Ingest.upload`, so the
/// archive reader, the content policy and the provenance gate judge them as they judge
/// ChartMuseum uploads. Access control is the caller's (the server resolves the repository
/// with the same `AccessPolicy` as every other route).
package final class OCIRegistry: Sendable {
    let work: BlockingWork<Stores>
    let ingest: Ingest
    package let sessions: OCIUploadSessions
    /// Resolved manifests and served blobs of the current index generations (`OCIPullCache`).
    package let pulls: OCIPullCache
    /// `server.maxUploadBytes`: the bound on every blob.
    package let maxBlobBytes: Int
    /// Bounds on blobs uploaded and not yet named by a decided push (`server.ociPendingBytesPerPrincipal`,
    /// `server.ociPendingBytesPerRepository`): one writer cannot fill the volume every repository shares.
    package let pendingBytesPerUploader: Int64
    package let pendingBytesPerRepository: Int64
    /// What each pending blob counts against those bounds at least (100 MiB: 1,600 blobs).
    package static let minimumBlobCharge: Int64 = 64 << 10

    package init(work: BlockingWork<Stores>, ingest: Ingest, sessions: OCIUploadSessions, maxBlobBytes: Int,
                 pendingBytesPerUploader: Int64 = 100 << 20, pendingBytesPerRepository: Int64 = 1 << 30,
                 pulls: OCIPullCache = OCIPullCache()) {
        self.work = work
        self.pulls = pulls
        self.ingest = ingest
        self.sessions = sessions
        self.maxBlobBytes = maxBlobBytes
        self.pendingBytesPerUploader = pendingBytesPerUploader
        self.pendingBytesPerRepository = pendingBytesPerRepository
    }

    // MARK: Blobs (reads: OCIRegistry+Pulls)

    /// `forPush`: the layers of a refused push may be named again by the same uploader's retry
    /// (judged again, never served). `served`: every reader of the chart may fetch it.
    static func visibleBlobSize(_ digest: SHA256Digest, at address: OCIAddress, uploader: String?,
                                        forPush: Bool = false, _ stores: Stores) throws(OCIError) -> (Int64, served: Bool) {
        do {
            let served = try stores.metadata.isBlobServed(repository: address.repository, name: address.chart, digest: digest.hex)
            var uploaded = false
            if let uploader, !served, let record = try stores.metadata.blobUpload(
                repository: address.repository, name: address.chart, digest: digest.hex) {
                uploaded = record.uploader == uploader && (!record.refused || forPush)
            }
            guard served || uploaded, stores.blobs.contains(digest) else {
                throw OCIError(.blobUnknown, "blob unknown to registry")
            }
            return (try stores.blobs.size(of: digest), served)
        } catch let error as OCIError {
            throw error
        } catch {
            throw OCIError(.internalError, "blob lookup failed: \(error)", cause: error)
        }
    }

    // MARK: Uploads

    /// Opens an upload session for `owner` and returns it checked out.
    package func startUpload(at address: OCIAddress, owner: String) async throws(OCIError) -> OCIUploadSessions.Handle {
        let expired = await sessions.expire(now: Date())
        if !expired.isEmpty { try? await onPool { _ throws(OCIError) in for handle in expired { handle.writer.abort() } } }
        try await sessions.admits(owner: owner)
        let box = try await onPool { stores throws(OCIError) -> WriterBox in
            do {
                return WriterBox(try stores.blobs.beginWrite())
            } catch {
                throw OCIError(.internalError, "cannot start a blob upload: \(error)", cause: error)
            }
        }
        guard let handle = await sessions.insert(address: address, owner: owner, writer: box.writer, now: Date()) else {
            try? await onPool { _ throws(OCIError) in box.writer.abort() }
            throw OCIError(.tooManyRequests, "too many uploads in progress; retry later", retryAfterSeconds: 10)
        }
        return handle
    }

    /// Appends a request body to the session, bounded by `maxBlobBytes`. `start` is the first
    /// byte's offset from `Content-Range`, when sent: chunks must arrive in order. On an error
    /// the session is ended and its bytes dropped.
    package func append<Body: AsyncSequence & Sendable>(_ body: Body, to handle: OCIUploadSessions.Handle, start: Int64?)
        async throws(OCIError) where Body.Element == ByteBuffer {
        do {
            if let start, start != handle.writer.bytesWritten {
                throw OCIError(.blobUploadInvalid, "chunk starts at \(start), but \(handle.writer.bytesWritten) bytes were received",
                               statusOverride: 416)
            }
            var pending: [ByteBuffer] = []
            var pendingBytes = 0
            for try await chunk in body {
                guard handle.writer.bytesWritten + Int64(pendingBytes + chunk.readableBytes) <= Int64(maxBlobBytes) else {
                    throw OCIError(.sizeInvalid, "blob is larger than the server's limit of \(maxBlobBytes) bytes",
                                   statusOverride: 413)
                }
                pending.append(chunk)
                pendingBytes += chunk.readableBytes
                // One hop to the pool per 256 KiB, not per network read.
                if pendingBytes >= 256 * 1024 {
                    try await write(pending, to: handle)
                    pending = []
                    pendingBytes = 0
                }
            }
            if !pending.isEmpty { try await write(pending, to: handle) }
        } catch {
            await fail(handle)
            throw error as? OCIError ?? OCIError(.blobUploadInvalid, "the upload body could not be read")
        }
    }

    private func write(_ chunks: [ByteBuffer], to handle: OCIUploadSessions.Handle) async throws(OCIError) {
        try await onPool { _ throws(OCIError) in
            do {
                for chunk in chunks {
                    try chunk.withUnsafeReadableBytes { buffer in
                        try Result { () throws(StorageError) in try handle.writer.append(buffer) }.get()
                    }
                }
            } catch {
                throw OCIError(.internalError, "cannot write the upload: \(error)", cause: error)
            }
        }
    }

    /// Commits the session's bytes when they hash to `digest` (DIGEST_INVALID otherwise, with
    /// nothing kept) and records the blob as uploaded for the chart, within the pending-bytes
    /// bounds (`DENIED` otherwise, with the bytes dropped unless something else uses them).
    /// Ends the session.
    package func finish(_ handle: OCIUploadSessions.Handle, digest: SHA256Digest) async throws(OCIError) {
        await sessions.remove(handle)
        let owner = handle.owner
        let address = handle.address
        let (perUploader, perRepository) = (pendingBytesPerUploader, pendingBytesPerRepository)
        try await onPool { stores throws(OCIError) in
            do {
                let size = handle.writer.bytesWritten
                // Held from the blob's rename to its row's commit: the orphan sweep (which runs
                // beside uploads) and a concurrent reclaim must not take it in between.
                let cap = try stores.publisher.inFlight.holding([digest]) { () throws -> OCIUploadCap? in
                    _ = try handle.writer.commit(expecting: digest)
                    // Each blob is charged at least `minimumBlobCharge`: a file and a row cost more
                    // than their bytes, and tiny blobs must not come by the million.
                    return try stores.metadata.recordBlobUpload(OCIBlobUploadRecord(
                        repository: address.repository, name: address.chart, digest: digest.hex,
                        size: max(size, Self.minimumBlobCharge), uploader: owner,
                        uploadedAt: Date()), maxUploaderBytes: perUploader, maxRepositoryBytes: perRepository)
                }
                if let cap {
                    try? stores.publisher.reclaim([digest.hex])
                    throw Self.refusal(cap, owner: owner, repository: address.repository)
                }
            } catch let error as OCIError {
                throw error
            } catch let error as StorageError where error.code == .digestMismatch {
                throw OCIError(.digestInvalid, "provided digest did not match uploaded content: \(error.message)")
            } catch {
                throw OCIError(.internalError, "cannot store the blob: \(error)", cause: error)
            }
        }
    }

    private static func refusal(_ cap: OCIUploadCap, owner: String, repository: String) -> OCIError {
        let (whose, held, limit) = switch cap {
        case .uploader(let held, let limit): ("\(owner) has", held, limit)
        case .repository(let held, let limit): ("repository \(repository.isEmpty ? "(root)" : repository) has", held, limit)
        }
        return OCIError(.denied, "upload quota exceeded: \(whose) \(held) bytes of blobs uploaded and not yet used by a "
            + "pushed manifest (limit \(limit)); push the manifest that uses them, or wait for them to expire")
    }

    /// Gives an open session back for its next chunk.
    package func release(_ handle: OCIUploadSessions.Handle) async {
        await sessions.checkIn(handle, now: Date())
    }

    /// Ends a session and drops its bytes (a cancel, or a failed request).
    package func fail(_ handle: OCIUploadSessions.Handle) async {
        await sessions.remove(handle)
        try? await onPool { _ throws(OCIError) in handle.writer.abort() }
    }

    package func checkOut(_ id: String, at address: OCIAddress, owner: String) async throws(OCIError) -> OCIUploadSessions.Handle {
        try await sessions.checkOut(id, address: address, owner: owner)
    }

    /// Ends upload sessions idle too long, and forgets blobs uploaded more than the repository's
    /// `stagingTTLSeconds` ago; their bytes go unless an accepted manifest or a chart uses them.
    package func sweep(now: Date = Date()) async {
        await expireSessions(now: now)
        await sweepUploadedBlobs(now: now)
    }

    /// Ends this replica's upload sessions idle too long (they live in its memory).
    package func expireSessions(now: Date = Date()) async {
        let expired = await sessions.expire(now: now)
        if !expired.isEmpty { try? await onPool { _ throws(OCIError) in for handle in expired { handle.writer.abort() } } }
    }

    /// Forgets stored blob uploads older than the repository's `stagingTTLSeconds` (shared by
    /// every replica on one database).
    package func sweepUploadedBlobs(now: Date = Date()) async {
        for name in ingest.catalog.repositoryNames {
            guard let repository = ingest.catalog.repository(named: name) else { continue }
            let cutoff = now.addingTimeInterval(-TimeInterval(repository.configuration.stagingTTLSeconds))
            try? await onPool { stores throws(OCIError) in
                do {
                    let digests = try stores.metadata.expireBlobUploads(repository: name, uploadedBefore: cutoff)
                    try stores.publisher.reclaim(digests)
                } catch {
                    throw OCIError(.internalError, "sweeping uploaded blobs failed: \(error)", cause: error)
                }
            }
        }
    }

    // MARK: Manifests (reads: OCIRegistry+Pulls)

    /// A client's manifest PUT: parsed and checked for Helm-only content, its layers read from
    /// the blobs uploaded for the chart, then published through `Ingest.upload` (archive reader,
    /// content policy, provenance gate, admission), which stores the manifest with the version.
    /// Returns the manifest's digest, whether the version was already published with these bytes,
    /// and the manifest's subject.
    package func push(_ bytes: [UInt8], contentType: String?, reference: String, at address: OCIAddress,
                      to repository: ChartRepository, uploader: String, uploaderPrincipals: Set<String>)
        async throws(OCIError) -> (digest: SHA256Digest, outcome: ChartService.UploadOutcome, subject: SHA256Digest?) {
        let manifest = try HelmChartManifest.parse(bytes, contentType: contentType)
        let digest = SHA256Hasher.hash(bytes)
        var taggedVersion: String?
        if let referenced = OCIDigest.parse(reference) {
            guard referenced == digest else {
                throw OCIError(.digestInvalid, "the manifest's digest is \(OCIDigest.string(digest)), not \(reference)")
            }
        } else {
            guard OCITag.isValid(reference) else { throw OCIError(.manifestInvalid, "\(reference) is not a valid tag") }
            taggedVersion = OCITag.version(forTag: reference)
        }
        let (chart, provenance, config) = try await onPool { stores throws(OCIError) in
            (try Self.layer(manifest.chart, "chart layer", at: address, uploader: uploader, stores),
             try manifest.provenance.map { descriptor throws(OCIError) in
                 try Self.layer(descriptor, "provenance layer", at: address, uploader: uploader, stores)
             },
             try Self.layer(manifest.config, "config", at: address, uploader: uploader, stores,
                            limit: OCIPushedManifest.maxConfigBytes))
        }
        let pushed = OCIPushedManifest(bytes: bytes, digest: digest, manifest: manifest, address: address,
                                       taggedVersion: taggedVersion, config: config)
        let outcome: ChartService.UploadOutcome
        do {
            outcome = try await ingest.upload(chart: chart, provenance: provenance, to: repository, uploader: uploader,
                                              uploaderPrincipals: uploaderPrincipals,
                                              force: repository.configuration.allowOverwrite, oci: pushed)
        } catch {
            await settleLayers(of: manifest, at: address, refused: true)
            throw OCIError(error, context: .manifestInvalid)
        }
        await settleLayers(of: manifest, at: address, refused: false)
        // An unchanged push may have stored a manifest (pullable by digest, maybe a referrer)
        // without a new generation.
        if outcome == .unchanged { pulls.forget(repository: address.repository) }
        if outcome == .staged {
            throw OCIError(.denied, "\(address.chart) was staged, waiting for its provenance file: push the chart with its .prov")
        }
        return (digest, outcome, manifest.subject?.digest)
    }

    /// Once a push is decided its layers are no longer pending uploads: published ones are
    /// served as the version's (their upload rows go), refused ones are never served by digest
    /// (their rows are marked and expire after `stagingTTLSeconds`, so the client's retry of the
    /// same push gets the same verdict).
    private func settleLayers(of manifest: HelmChartManifest, at address: OCIAddress, refused: Bool) async {
        let digests = [manifest.chart.digest, manifest.config.digest] + (manifest.provenance.map { [$0.digest] } ?? [])
        try? await onPool { stores throws(OCIError) in
            do {
                try stores.metadata.settleBlobUploads(repository: address.repository, name: address.chart,
                                                      digests: digests.map(\.hex), refused: refused)
            } catch {
                throw OCIError(.internalError, "forgetting uploaded layers failed: \(error)", cause: error)
            }
        }
    }

    /// The bytes of a layer the manifest names: uploaded for (or already served under) this
    /// chart, with the size the descriptor states. Blocking.
    private static func layer(_ descriptor: HelmChartManifest.Descriptor, _ what: String, at address: OCIAddress,
                              uploader: String, _ stores: Stores, limit: Int? = nil) throws(OCIError) -> [UInt8] {
        let size: Int64
        do {
            size = try visibleBlobSize(descriptor.digest, at: address, uploader: uploader, forPush: true, stores).0
        } catch {
            throw OCIError(.manifestBlobUnknown, "the \(what) \(OCIDigest.string(descriptor.digest)) was not uploaded "
                + "for \(address.name)", statusOverride: 400)
        }
        guard size == descriptor.size else {
            throw OCIError(.manifestInvalid, "the \(what) is \(size) bytes, the manifest says \(descriptor.size)")
        }
        if let limit, size > limit { throw OCIError(.manifestInvalid, "the \(what) is larger than \(limit) bytes") }
        do {
            return try stores.blobs.read(descriptor.digest)
        } catch {
            throw OCIError(.internalError, "cannot read the \(what): \(error)", cause: error)
        }
    }

    /// The version a manifest DELETE names: by tag, or by the digest of a manifest its version
    /// still serves, if that version is active or quarantined (the classic door deletes both);
    /// else `MANIFEST_UNKNOWN`.
    package func versionToDelete(_ reference: String, at address: OCIAddress) async throws(OCIError) -> String {
        let digest = OCIDigest.parse(reference)
        if digest == nil, !OCITag.isValid(reference) {
            throw OCIError(.manifestInvalid, "\(reference) is neither a tag nor a sha256 digest")
        }
        return try await onPool { stores throws(OCIError) in
            do {
                var pinned: OCIManifestRecord?
                if let digest {
                    pinned = try stores.metadata.manifest(repository: address.repository, name: address.chart, digest: digest.hex)
                    guard pinned != nil else { throw OCIError(.manifestUnknown, "manifest unknown to registry") }
                }
                let version = pinned?.version ?? OCITag.version(forTag: reference)
                guard let record = try stores.metadata.chart(repository: address.repository, name: address.chart, version: version),
                      record.status == .active || record.status == .quarantined,
                      pinned.map({ $0.chartDigest == record.digest && $0.provenanceDigest == record.provenanceDigest }) ?? true
                else {
                    throw OCIError(.manifestUnknown, "manifest unknown to registry")
                }
                return record.version
            } catch let error as OCIError {
                throw error
            } catch {
                throw OCIError(.internalError, "manifest lookup failed: \(error)")
            }
        }
    }

    // MARK: Tags

    /// The tags of the chart's active versions, in lexical order (the handler pages them); one
    /// indexed query of the chart's rows, never the whole repository.
    package func tags(at address: OCIAddress) async throws(OCIError) -> [String] {
        try await onPool { stores throws(OCIError) in
            do {
                return try stores.metadata.versions(repository: address.repository, name: address.chart, statuses: [.active])
                    .map(OCITag.tag(forVersion:))
                    .sorted()
            } catch {
                throw OCIError(.internalError, "tag lookup failed: \(error)", cause: error)
            }
        }
    }

    func onPool<T: Sendable>(_ body: @escaping @Sendable (Stores) throws(OCIError) -> T) async throws(OCIError) -> T {
        let result: Result<T, OCIError>
        do {
            result = try await work.run { (stores, _) throws(ServiceError) -> Result<T, OCIError> in
                Result { () throws(OCIError) in try body(stores) }
            }
        } catch {
            throw OCIError(error)
        }
        return try result.get()
    }

    /// A writer just opened on the pool, carried back to the actor that will own it.
    private final class WriterBox: @unchecked Sendable {
        let writer: any BlobWriter
        init(_ writer: any BlobWriter) { self.writer = writer }
    }
}

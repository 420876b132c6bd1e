import NIOCore
import OpenSSLSupport
import Synchronization

/// What OCI pulls resolved, so the next pull of the same manifest or blob is answered from
/// memory: tag or digest → manifest bytes, and which blob digests readers of a chart may fetch.
///
/// Each repository's entries belong to one generation of its index snapshot
/// (`IndexSnapshot.generation`), which every change of a version bumps on either door — publish,
/// delete, quarantine, restore — and so does a reload of the stored charts (a PostgreSQL replica
/// catching up): an entry is used only while the repository is still at the generation that was
/// current *before* the store was read for it, so nothing a change made stale is ever served.
/// Only positive answers of active versions are kept; misses, quarantined and deleted versions
/// and pending uploads always go to the store. Authorization is the caller's, before asking.
///
/// With a store other replicas write (PostgreSQL), a change made elsewhere bumps this replica's
/// generation only when it reloads: there entries also expire `maxAge` after they were made, so
/// a version quarantined or deleted on another replica is refused here within that time.
package final class OCIPullCache: Sendable {
    /// A manifest as pulled: the stored bytes and what the answer's headers say.
    package struct Manifest: Sendable {
        package let name: String
        package let version: String
        /// Lowercase SHA-256 hex of `content`.
        package let digest: String
        package let mediaType: String
        package let content: ByteBuffer
        /// `sha256:<digest>`, formatted once.
        package let digestHeader: String

        package init(name: String, version: String, digest: String, mediaType: String, content: ByteBuffer, digestHeader: String) {
            self.name = name
            self.version = version
            self.digest = digest
            self.mediaType = mediaType
            self.content = content
            self.digestHeader = digestHeader
        }
    }

    /// A served manifest that names `subject`.
    package struct Referrer: Sendable {
        package let subject: SHA256Digest
        package let descriptor: OCIReferrer

        package init(subject: SHA256Digest, descriptor: OCIReferrer) {
            self.subject = subject
            self.descriptor = descriptor
        }
    }

    private struct Entry {
        let generation: UInt64
        let made: ContinuousClock.Instant
        /// Keyed by chart, then by the reference as requested (a tag or `sha256:<hex>`).
        var manifests: [String: [String: Manifest]] = [:]
        /// Blobs readers of the chart may fetch (its active versions' chart, prov and config), with their sizes.
        var blobs: [String: [SHA256Digest: Int64]] = [:]
        /// Keyed by chart: its served manifests that name a subject, as referrers list them.
        var referrers: [String: [Referrer]] = [:]
        var count = 0
        var manifestBytes = 0
    }

    /// Entries per repository and generation: positive answers only, so bounded by what is
    /// stored; the caps guard memory against a repository of very many (or padded, up to 64 KiB)
    /// manifests: past them, answers simply come from the store.
    private let maxEntriesPerRepository: Int
    private let maxManifestBytesPerRepository: Int
    /// Nil: entries live as long as their generation (a store only this process writes).
    private let maxAge: Duration?
    private let entries = Mutex<[String: Entry]>([:])

    package init(maxEntriesPerRepository: Int = 100_000, maxManifestBytesPerRepository: Int = 16 << 20,
                 maxAge: Duration? = nil) {
        self.maxEntriesPerRepository = maxEntriesPerRepository
        self.maxManifestBytesPerRepository = maxManifestBytesPerRepository
        self.maxAge = maxAge
    }

    /// The repository's entry if it is of `generation` and young enough.
    private func current(_ entries: [String: Entry], _ repository: String, _ generation: UInt64) -> Entry? {
        guard let entry = entries[repository], entry.generation == generation else { return nil }
        if let maxAge, ContinuousClock.now - entry.made > maxAge { return nil }
        return entry
    }

    package func manifest(repository: String, generation: UInt64, chart: String, reference: String) -> Manifest? {
        entries.withLock { entries in current(entries, repository, generation)?.manifests[chart]?[reference] }
    }

    /// The size of `digest` when readers of the chart may fetch it, as of `generation`.
    package func servedBlobSize(repository: String, generation: UInt64, chart: String, digest: SHA256Digest) -> Int64? {
        entries.withLock { entries in current(entries, repository, generation)?.blobs[chart]?[digest] }
    }

    /// The chart's referrers (every subject), if read in `generation`.
    package func referrers(repository: String, generation: UInt64, chart: String) -> [Referrer]? {
        entries.withLock { entries in current(entries, repository, generation)?.referrers[chart] }
    }

    /// Remembers the chart's referrers, read from the store at `generation`.
    package func rememberReferrers(_ referrers: [Referrer], repository: String, generation: UInt64, chart: String) {
        let size = referrers.reduce(0) { $0 + 256 + ($1.descriptor.annotations ?? [:]).reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count } }
        update(repository, generation) { entry in
            guard entry.referrers[chart] == nil, entry.manifestBytes + size <= maxManifestBytesPerRepository else { return false }
            entry.referrers[chart] = referrers
            entry.manifestBytes += size
            return true
        }
    }

    /// Drops what is known of `repository`: a push stored a manifest without changing the
    /// repository's generation (a re-push of the same chart).
    package func forget(repository: String) {
        entries.withLock { entries in entries[repository] = nil }
    }

    /// Remembers a manifest read from the store for an active version; `generation` is the one
    /// read before the store was.
    package func remember(_ manifest: Manifest, repository: String, generation: UInt64, chart: String, reference: String) {
        let size = manifest.content.readableBytes
        update(repository, generation) { entry in
            guard entry.manifests[chart]?[reference] == nil,
                  entry.manifestBytes + size <= maxManifestBytesPerRepository else { return false }
            entry.manifests[chart, default: [:]][reference] = manifest
            entry.manifestBytes += size
            return true
        }
    }

    /// Remembers that readers of the chart may fetch `digest` (the store said so at `generation`).
    package func rememberServedBlob(_ digest: SHA256Digest, size: Int64, repository: String, generation: UInt64, chart: String) {
        update(repository, generation) { entry in
            guard entry.blobs[chart]?[digest] == nil else { return false }
            entry.blobs[chart, default: [:]][digest] = size
            return true
        }
    }

    /// Applies `change` to the repository's entry of `generation`: a newer generation (or an
    /// expired entry) replaces an older entry; an answer read under an older generation than the
    /// entry's is dropped.
    private func update(_ repository: String, _ generation: UInt64, _ change: (inout Entry) -> Bool) {
        entries.withLock { entries in
            let now = ContinuousClock.now
            var entry = entries[repository] ?? Entry(generation: generation, made: now)
            if entry.generation < generation || (entry.generation == generation && current(entries, repository, generation) == nil) {
                entry = Entry(generation: generation, made: now)
            }
            guard entry.generation == generation, entry.count < maxEntriesPerRepository else { return }
            entries[repository] = nil  // one owner while it changes: no copy of the dictionaries
            if change(&entry) { entry.count += 1 }
            entries[repository] = entry
        }
    }
}

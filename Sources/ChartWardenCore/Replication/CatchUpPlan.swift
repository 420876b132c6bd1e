import Storage

/// What a replica does with the journal rows it read after the last one it applied (issue 14,
/// "replicas never stay stale"). Pure: the follower reads, asks, applies.
///
/// Journal ids are gap-free in commit order (`ChangeEvent`), so the rows after `lastApplied`
/// are exactly what this replica has not seen. A first row that is not `lastApplied + 1`, or none
/// at all when a later id is known to exist, means retention pruned what this replica missed
/// (it was away longer than the audit retention): it reloads everything instead.
package struct CatchUpPlan: Equatable, Sendable {
    package enum Step: Hashable, Sendable {
        /// Re-import the keys and revocations the store keeps into the GnuPG home.
        case reloadTrust
        /// Re-read one version's row and make the repository's index and downloads match it.
        case reconcile(repository: String, name: String, version: String)
        /// Reload every repository's index and the keys from the store.
        case reloadAll
        /// Re-judge the published charts of a revoked signer (after the keys), so the revocation
        /// quarantines them even when the replica that recorded it stopped before it did.
        case reevaluate(signer: String)
    }

    package var steps: [Step]
    /// The id to remember once every step succeeded (nil with `reloadAll`: the follower takes
    /// the journal's newest id read before the reload).
    package var appliedThrough: Int64?
    /// A full page was read: more rows may follow at once.
    package var readAgain: Bool

    /// Whether a replica that applied `lastApplied` must read the journal on hearing of `notified`
    /// (nil: a notification it could not decode, or a poll: read to find out).
    package static func mustRead(lastApplied: Int64, notified: Int64?) -> Bool {
        guard let notified else { return true }
        return notified > lastApplied
    }

    /// The steps for `events`, read with `id > lastApplied` in id order, at most `pageSize` of
    /// them; `knownLatest` is the newest id this replica has heard of. Changes of the same
    /// version are re-read once; key material is re-imported before charts are re-judged;
    /// repositories this replica does not serve are skipped.
    package static func plan(lastApplied: Int64, events: [ChangeEvent], pageSize: Int, knownLatest: Int64,
                             repositories: Set<String>) -> CatchUpPlan {
        guard let first = events.first else {
            return knownLatest > lastApplied
                ? CatchUpPlan(steps: [.reloadAll], appliedThrough: nil, readAgain: false)
                : CatchUpPlan(steps: [], appliedThrough: lastApplied, readAgain: false)
        }
        guard first.id == lastApplied + 1 else {
            return CatchUpPlan(steps: [.reloadAll], appliedThrough: nil, readAgain: false)
        }
        var steps: [Step] = []
        var seen: Set<Step> = []
        if events.contains(where: { $0.type.isTrustWide }) {
            steps.append(.reloadTrust)
            seen.insert(.reloadTrust)
        }
        for event in events where event.type.changesChart {
            guard let repository = event.repository, let name = event.name, let version = event.version else {
                // A row this build cannot read (a newer build's type) that names no version:
                // whatever it changed, a full reload applies it.
                if event.type == .unrecognized {
                    return CatchUpPlan(steps: [.reloadAll], appliedThrough: nil, readAgain: false)
                }
                continue
            }
            guard repositories.contains(repository) else { continue }
            let step = Step.reconcile(repository: repository, name: name, version: version)
            if seen.insert(step).inserted { steps.append(step) }
        }
        for event in events where event.type == .signerRevoked {
            guard let signer = event.fingerprint else { continue }
            let step = Step.reevaluate(signer: signer)
            if seen.insert(step).inserted { steps.append(step) }
        }
        return CatchUpPlan(steps: steps, appliedThrough: events.last?.id, readAgain: events.count >= pageSize)
    }
}

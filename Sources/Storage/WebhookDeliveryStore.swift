import Foundation

/// Where webhook deliveries live (README, "Webhooks"): per webhook, how far it has read the
/// change journal (an opaque cursor), the events it is still owed, and a log of attempts. Part
/// of `MetadataStore`, so both stores implement it and every replica on one PostgreSQL database
/// shares it: a due delivery is claimed by one replica only.
public protocol WebhookDeliveryStore: Sendable {
    /// The journal position `webhook` has read up to; nil before its first read.
    func webhookCursor(webhook: String) throws(StorageError) -> String?
    /// Adds `deliveries` (one already there for the same webhook and event is kept as it is)
    /// and moves `webhook`'s cursor to `cursor`, in one transaction, only while the cursor is
    /// still `expected` (another replica that moved it first wins; returns false then).
    func enqueueWebhookDeliveries(_ deliveries: [WebhookDeliveryRecord], webhook: String, expected: String?,
                                  cursor: String) throws(StorageError) -> Bool
    /// Claims up to `limit` deliveries of `webhook` due at `now`, oldest first: each gets one
    /// more attempt and `nextAttemptAt = leaseUntil`, so no other replica takes it meanwhile
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`). Returns them as claimed.
    func claimWebhookDeliveries(webhook: String, now: Date, leaseUntil: Date, limit: Int)
        throws(StorageError) -> [WebhookDeliveryRecord]
    /// Records `attempt` (nil: an attempt the log samples out) and settles the claimed delivery in
    /// one transaction: removed when `retryAt` is nil (delivered or abandoned), else due again at
    /// `retryAt`. Nothing changes when the row no longer has the attempt count of the claim (its
    /// lease ran out and another replica claimed it); returns whether it did.
    func finishWebhookAttempt(_ attempt: WebhookAttemptRecord?, delivery: WebhookDeliveryRecord, retryAt: Date?)
        throws(StorageError) -> Bool
    /// The earliest `nextAttemptAt` of `webhook`'s deliveries, nil when it is owed none.
    func nextWebhookAttempt(webhook: String) throws(StorageError) -> Date?
    /// Deliveries still owed, per webhook key.
    func pendingWebhookDeliveries() throws(StorageError) -> [String: Int]
    /// Attempts, newest first; `beforeID` pages backwards.
    func webhookAttempts(beforeID: Int64?, limit: Int) throws(StorageError) -> [WebhookAttemptRecord]
    /// Deletes at most `limit` attempts older than `cutoff`; returns how many went.
    func pruneWebhookAttempts(olderThan cutoff: Date, limit: Int) throws(StorageError) -> Int
}

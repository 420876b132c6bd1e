import Storage

/// How the outbox reads the change journal: events after an opaque cursor, oldest first. The
/// store writes the journal in the same transaction as each change, so a change that committed
/// is an event the outbox will read, whatever crashes in between.
package protocol WebhookJournal: Sendable {
    /// The cursor that reads nothing already written: where a webhook added now starts.
    func head(_ metadata: any MetadataStore) throws(StorageError) -> String
    /// Up to `limit` events after `cursor`, and the cursor after them (`cursor` when none).
    func events(after cursor: String, limit: Int, _ metadata: any MetadataStore)
        throws(StorageError) -> (events: [WebhookEvent], cursor: String)
}

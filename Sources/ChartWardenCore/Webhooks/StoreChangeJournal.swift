import Foundation
import Storage

/// `WebhookJournal` over the stores' change journal (`MetadataStore.events(after:limit:)`): its
/// ids are gap-free in commit order, so the cursor is the last id read, and a change committed
/// after a read is never behind the cursor.
package struct StoreChangeJournal: WebhookJournal {
    package init() {}

    package func head(_ metadata: any MetadataStore) throws(StorageError) -> String {
        String(try metadata.latestEventID())
    }

    package func events(after cursor: String, limit: Int, _ metadata: any MetadataStore)
        throws(StorageError) -> (events: [WebhookEvent], cursor: String) {
        guard let position = Int64(cursor) else { throw StorageError(.corrupt, "webhook cursor '\(cursor)' is not a journal id") }
        let changes = try metadata.events(after: position, limit: limit)
        return (changes.compactMap(WebhookEvent.init(change:)), changes.last.map { String($0.id) } ?? cursor)
    }
}

extension WebhookEvent {
    /// The webhook view of a journal row; nil for changes webhooks do not send (stages, key
    /// material). The id joins the journal id to the change's time in milliseconds: the same
    /// for every attempt and replica, and not reused by a database started over.
    package init?(change: ChangeEvent) {
        guard let type = Webhook.EventType(rawValue: change.type.rawValue) else { return nil }
        var data: [String: JSONValue] = [:]
        if let repository = change.repository { data["repository"] = .string(repository) }
        if let name = change.name { data["name"] = .string(name) }
        if let version = change.version { data["version"] = .string(version) }
        if let fingerprint = change.fingerprint { data["fingerprint"] = .string(fingerprint) }
        if let actor = change.actor { data["actor"] = .string(actor) }
        if let detail = change.data { data["detail"] = JSONValue(text: detail) }
        let subject: String? = if let name = change.name {
            change.version.map { "\(name)/\($0)" } ?? name
        } else {
            change.fingerprint
        }
        self.init(id: "\(change.id)-\(Int64((change.at.timeIntervalSince1970 * 1_000).rounded(.down)))", type: type,
                  time: change.at, repository: change.repository, subject: subject, data: .object(data))
    }
}

import Foundation
import Storage

// TEMPORARY STUB until the change journal is merged (real file: /tmp/hooks-StoreChangeJournal.swift).
package struct StoreChangeJournal: WebhookJournal {
    package init() {}

    package func head(_ metadata: any MetadataStore) throws(StorageError) -> String { "0" }

    package func events(after cursor: String, limit: Int, _ metadata: any MetadataStore)
        throws(StorageError) -> (events: [WebhookEvent], cursor: String) {
        ([], cursor)
    }
}

import Foundation

/// One change as webhooks see it, read from the change journal: the CloudEvent's attributes and
/// its `data`. `id` is the journal's, so a retry, another replica or a restart sends the same
/// one and receivers drop duplicates by it.
public struct WebhookEvent: Sendable, Equatable {
    public var id: String
    public var type: Webhook.EventType
    public var time: Date
    /// Nil for changes of no repository (a revoked signer).
    public var repository: String?
    /// `NAME/VERSION` of a chart, or a signer's fingerprint.
    public var subject: String?
    /// A JSON object: what changed (chart, digest, actor, reason, failed checks…).
    package var data: JSONValue

    package init(id: String, type: Webhook.EventType, time: Date, repository: String?, subject: String?, data: JSONValue) {
        self.id = id
        self.type = type
        self.time = time
        self.repository = repository
        self.subject = subject
        self.data = data
    }
}

/// The payload of a change's notification (PostgreSQL `NOTIFY`): a hint to read the journal from
/// the last applied id. A replica never trusts it for more than "something changed": what changed
/// is read back from the journal and the rows.
public struct ChangeNotification: Codable, Sendable, Equatable {
    public var id: Int64
    /// Nil for a trust-wide change.
    public var repository: String?
    public var generation: Int64

    public init(id: Int64, repository: String?, generation: Int64) {
        self.id = id
        self.repository = repository
        self.generation = generation
    }
}

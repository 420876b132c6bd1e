/// What a principal may do in a repository.
public enum Permission: String, Sendable {
    case read
    case write
    case delete
}

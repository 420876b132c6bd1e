/// What an API token may reach: repositories and actions. It narrows the grants of the request
/// (`token:NAME`, its groups, a client certificate sent along), never widens them: inside the
/// scope the grants decide; outside it only what anonymous may do remains. As with grants, any
/// action implies reading.
public struct AccessScope: Sendable, Hashable, CustomStringConvertible {
    public var repositories: Set<String>
    public var actions: Set<Permission>

    public init(repositories: Set<String>, actions: Set<Permission>) {
        self.repositories = repositories
        self.actions = actions
    }

    public func allows(_ permission: Permission, in repository: String) -> Bool {
        guard repositories.contains(repository) else { return false }
        return permission == .read ? !actions.isEmpty : actions.contains(permission)
    }

    public var description: String {
        "\(actions.map(\.rawValue).sorted().joined(separator: ",")) in \(repositories.sorted().map { "'\($0)'" }.joined(separator: ","))"
    }
}

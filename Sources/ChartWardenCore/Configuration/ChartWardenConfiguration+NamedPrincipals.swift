extension ChartWardenConfiguration {
    /// Every principal some grant reaches: the repositories' `read`, `write` and `delete`,
    /// `auth.admins` and `auth.metrics`, each directly or as a member of a group they name. A
    /// token or OIDC workload outside this set would act exactly as anonymous, so the
    /// authenticator refuses it before any audit write (review F3).
    public var namedPrincipals: Set<Principal> {
        var granted = auth.admins.union(auth.metrics)
        for repository in repositories {
            granted.formUnion(repository.read)
            granted.formUnion(repository.write)
            granted.formUnion(repository.delete)
        }
        return granted.union(auth.expanded(granted))
    }
}

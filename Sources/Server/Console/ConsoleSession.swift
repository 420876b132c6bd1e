import ChartWardenCore

/// Who is using the console on this request: an admin (`auth.admins`), by its actor name, and
/// the CSRF token its forms carry.
struct ConsoleSession: Sendable {
    let principals: Set<Principal>
    let actor: String
    let csrf: String

    init(principals: Set<Principal>, tokens: ConsoleCSRF = .process) {
        self.principals = principals
        actor = AccessPolicy.actor(principals)
        csrf = tokens.token(for: actor)
    }

    /// Refuses a state-changing form without this principal's token: a page of another site
    /// cannot post to the console with the admin's credentials.
    func requireToken(_ form: ConsoleForm, tokens: ConsoleCSRF = .process) throws(ServiceError) {
        guard tokens.isValid(form[ConsoleCSRF.field], for: actor) else {
            throw ServiceError(.forbidden, "the form's CSRF token is missing or wrong: reload the page and submit it again")
        }
    }
}

import ChartWardenCore
import Foundation

/// Who is using the console on this request: an admin (`auth.admins`), by its actor name, and
/// the CSRF tokens its forms carry.
struct ConsoleSession: Sendable {
    let principals: Set<Principal>
    let actor: String
    let tokens: ConsoleCSRF

    init(principals: Set<Principal>, actor: String? = nil, tokens: ConsoleCSRF = .process) {
        self.principals = principals
        self.actor = actor ?? AccessPolicy.actor(principals)
        self.tokens = tokens
    }

    /// The token for a form that posts to `action`.
    func csrf(_ action: String) -> String { tokens.token(for: actor, action: action) }

    /// Refuses a state-changing form without this principal's token for this action: a page of
    /// another site, or a form injected into a console page, cannot post another form's token.
    func requireToken(_ form: ConsoleForm, action: String) throws(ServiceError) {
        guard tokens.isValid(form[ConsoleCSRF.field], for: actor, action: action) else {
            throw ServiceError(.forbidden, "the form's CSRF token is missing, expired or for another form: "
                               + "reload the page and submit it again")
        }
    }
}

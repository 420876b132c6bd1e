import Foundation

/// Where a delivery goes: the configured URL without its user information, which becomes a
/// Basic `Authorization` header instead (receivers behind basic auth), percent-decoded as RFC
/// 3986 says. HTTP clients do not all send URL credentials, and some log the URL they request.
package struct WebhookTarget: Sendable, Equatable {
    package let url: String
    package let authorization: String?

    package init(_ configured: String) {
        guard var components = URLComponents(string: configured), let user = components.user else {
            url = configured
            authorization = nil
            return
        }
        let credentials = (components.percentEncodedUser?.removingPercentEncoding ?? user) + ":"
            + (components.percentEncodedPassword?.removingPercentEncoding ?? "")
        authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        components.user = nil
        components.password = nil
        url = components.string ?? configured
    }
}

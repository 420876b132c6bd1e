import ChartWardenCore

/// Bearer credentials that proved valid recently, by a public handle: an API token's id, or an
/// OIDC issuer and key id. An address past its bearer failure limit is refused before any lookup
/// or signature check (review F13), except for these, so one caller's garbage behind a shared
/// NAT never locks out the working CI jobs there (review F1 of the webhooks branch). A forger
/// who knows a handle gets one indexed read or one signature check per request, and still no
/// audit row. Bounded: past `capacity` the oldest handle is forgotten.
struct KnownGoodBearers: Sendable {
    static let capacity = 4_096

    private var handles: Set<String> = []
    private var order: [String] = []
    private var head = 0

    /// The handle of a presented bearer credential, read without verifying anything.
    static func handle(of text: String) -> String? {
        if let credential = APITokenCredential(text) { return "token " + credential.id }
        guard let segments = JWTSegments(text), let keyID = segments.keyID,
              case .string(let issuer)? = segments.claims["iss"] else { return nil }
        return "jwt " + issuer + " " + keyID
    }

    func contains(_ handle: String) -> Bool { handles.contains(handle) }

    mutating func remember(_ handle: String) {
        guard handles.insert(handle).inserted else { return }
        order.append(handle)
        if handles.count > Self.capacity {
            handles.remove(order[head])
            head += 1
        }
        if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    var count: Int { handles.count }
}

/// Outbound user events that tell `RequestTimeoutHandler`, below, how far the requests on the
/// connection got: sent by the fast path for the requests it answers, and by
/// `RequestBoundaryHandler` for those that went through the HTTP/1 pipeline.
enum RequestProgressEvent: Sendable, Equatable {
    /// A request's head and body were read in full.
    case requestReceived
    /// Its response was written in full.
    case responseSent
    /// The fast path answered a request: both at once.
    case requestAnswered
}

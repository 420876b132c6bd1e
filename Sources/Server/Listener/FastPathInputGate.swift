/// When `HelmFastPathHandler` may read and answer, as a pure value: events in, decisions out.
///
/// Answering flushes, and a flush changes the channel's writability re-entrantly (NIO fires
/// `channelWritabilityChanged` from inside it). So while a batch of requests is being answered
/// (`processing`), writability events decide nothing: the running loop checks writability itself,
/// and the handler looks again once it returns. A read is issued only when nothing is held,
/// nothing is being answered and the channel is writable; the unanswered input held is capped.
struct FastPathInputGate: Sendable, Equatable {
    /// Unanswered input past which the peer is pipelining far more than it reads: closed.
    static let heldInputLimit = 1 << 20

    enum ReadDecision: Equatable, Sendable {
        case forward
        /// Kept until the held input is answered and the channel is writable.
        case hold
    }

    enum InputDecision: Equatable, Sendable {
        case answer
        /// More unanswered input than `heldInputLimit`.
        case close
    }

    enum WritabilityAction: Equatable, Sendable {
        case none
        /// Answer the held input (the channel drained and nothing is being answered).
        case answerHeld
    }

    private(set) var processing = false
    private(set) var readHeld = false
    private(set) var heldBytes = 0

    mutating func readRequested(isWritable: Bool) -> ReadDecision {
        guard !processing, heldBytes == 0, isWritable else {
            readHeld = true
            return .hold
        }
        return .forward
    }

    /// Input is about to be answered: `totalBytes` is what was held plus what arrived.
    mutating func answering(totalBytes: Int) -> InputDecision {
        guard totalBytes <= Self.heldInputLimit else { return .close }
        processing = true
        heldBytes = 0
        return .answer
    }

    /// Answering stopped, `heldBytes` of input left unanswered (the channel is not writable).
    mutating func answered(heldBytes: Int) {
        processing = false
        self.heldBytes = heldBytes
    }

    mutating func writabilityChanged(isWritable: Bool) -> WritabilityAction {
        !processing && isWritable && heldBytes > 0 ? .answerHeld : .none
    }

    /// Whether to issue the read held meanwhile, now.
    mutating func takeHeldRead(isWritable: Bool) -> Bool {
        guard readHeld, readRequested(isWritable: isWritable) == .forward else { return false }
        readHeld = false
        return true
    }
}

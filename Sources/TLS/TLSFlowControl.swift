/// Backpressure for the TLS handler as a pure value: the channel's writability in, decisions out.
///
/// A peer that sends requests and never reads must not make the server encrypt and queue answers
/// without bound. So while the ciphertext queued below the handler is over the channel's high
/// water mark (the channel is not writable), the handler neither encrypts more plaintext nor asks
/// for more input; both resume when the channel drains. Plaintext waiting to be encrypted stays
/// in the handler, where it costs no copy (answers share their bodies).
public struct TLSFlowControl: Sendable, Equatable {
    public enum ReadDecision: Equatable, Sendable {
        /// Pass the read request on to the socket.
        case forward
        /// Keep it: the peer is not consuming what we already owe it.
        case hold
    }

    public enum WritabilityAction: Equatable, Sendable {
        /// Nothing to do until the channel drains.
        case wait
        /// Encrypt buffered plaintext again; then ask `takeHeldRead` whether to issue the read
        /// held meanwhile.
        case resume
    }

    public private(set) var isWritable = true
    public private(set) var readHeld = false

    public init() {}

    public mutating func readRequested() -> ReadDecision {
        guard isWritable else {
            readHeld = true
            return .hold
        }
        return .forward
    }

    public mutating func writabilityChanged(isWritable: Bool) -> WritabilityAction {
        self.isWritable = isWritable
        return isWritable ? .resume : .wait
    }

    /// Whether to issue the held read now. Asked after resuming, with the channel's writability
    /// at that moment: encrypting what was buffered may have made it unwritable again, and then
    /// the read stays held for the next drain.
    public mutating func takeHeldRead(isWritable: Bool) -> Bool {
        self.isWritable = isWritable
        guard readHeld, isWritable else { return false }
        readHeld = false
        return true
    }

    /// Whether another batch of plaintext may be encrypted now.
    public func mayEncrypt(pendingPlaintext: Bool) -> Bool {
        pendingPlaintext && isWritable
    }
}

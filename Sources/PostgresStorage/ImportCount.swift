/// How many rows of one kind an import copied, and how many it found already there.
public struct ImportCount: Sendable, Equatable {
    public var kind: String
    public var copied = 0
    public var present = 0

    public init(kind: String) {
        self.kind = kind
    }
}

/// The bounded hand-off between the threads that log and the one that writes: offering never
/// blocks; when the queue is full the line is dropped and counted.
struct LogLineQueue<Line> {
    let capacity: Int
    private var lines: [Line] = []
    /// Dropped since the last `takeAll`, reported with the next batch.
    private var droppedSinceTake: Int = 0
    /// Dropped since creation.
    private(set) var droppedTotal: Int = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var isEmpty: Bool { lines.isEmpty }
    var count: Int { lines.count }

    /// Queues `line` unless the queue is full. Returns whether the queue was empty before (the
    /// writer then needs a wake-up), or nil when the line was dropped.
    mutating func offer(_ line: Line) -> Bool? {
        guard lines.count < capacity else {
            droppedSinceTake += 1
            droppedTotal += 1
            return nil
        }
        lines.append(line)
        return lines.count == 1
    }

    /// Everything queued, oldest first, and how many lines were dropped since the last take.
    mutating func takeAll() -> (lines: [Line], dropped: Int) {
        defer {
            lines = []
            lines.reserveCapacity(min(capacity, 1_024))
            droppedSinceTake = 0
        }
        return (lines, droppedSinceTake)
    }
}

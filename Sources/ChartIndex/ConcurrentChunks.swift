import Dispatch

extension Array where Element: Sendable {
    /// Maps the array chunk by chunk on every core, keeping the order: start-up work on every stored
    /// version (decoding its metadata, rendering its index entry) is independent per element, and
    /// done one element after another it is most of a cold start at 100,000 versions. `transform`
    /// gets a whole chunk, so it can set up what it reuses (a decoder) once per chunk.
    package func concurrentMapChunks<Result: Sendable>(chunkSize: Int = 2_048,
                                                       _ transform: @Sendable (ArraySlice<Element>) -> [Result]) -> [Result] {
        let chunks = (count + chunkSize - 1) / chunkSize
        guard chunks > 1 else { return transform(self[...]) }
        var parts = [[Result]](repeating: [], count: chunks)
        parts.withUnsafeMutableBufferPointer { buffer in
            // Each iteration writes only its own slot.
            nonisolated(unsafe) let slots = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                slots[chunk] = transform(self[(chunk * chunkSize)..<Swift.min(count, (chunk + 1) * chunkSize)])
            }
        }
        return parts.flatMap { $0 }
    }
}

/// Runs two independent pieces of start-up work at once, on two threads, and returns both
/// results (or the first one's error, then the second's): at 100,000 versions reading the rows
/// and reading their stored renderings each take about half a second.
package func concurrently<First: Sendable, Second: Sendable>(
    _ first: @Sendable () throws -> First, _ second: @Sendable () throws -> Second) throws -> (First, Second) {
    var results: (Result<First, any Error>?, Result<Second, any Error>?) = (nil, nil)
    withUnsafeMutablePointer(to: &results) { pointer in
        // Each iteration writes only its own half.
        nonisolated(unsafe) let slots = pointer
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            if index == 0 {
                slots.pointee.0 = Result { try first() }
            } else {
                slots.pointee.1 = Result { try second() }
            }
        }
    }
    return (try results.0!.get(), try results.1!.get())
}

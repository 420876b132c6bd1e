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

import Foundation
import Synchronization

/// The IMF-fixdate for the `Date` header, formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static var now: String {
        let second = Int(Date().timeIntervalSince1970)
        return cache.withLock { cached in
            if cached.second == second { return cached.text }
            var time = time_t(second)
            var parts = tm()
            gmtime_r(&time, &parts)
            var buffer = [CChar](repeating: 0, count: 40)
            strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            cached = (second, text)
            return text
        }
    }
}

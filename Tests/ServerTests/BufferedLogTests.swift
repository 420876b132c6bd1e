import Foundation
import Logging
@testable import Server
import Testing

@Suite struct LogLineQueueTests {
    @Test func aFullQueueDropsAndCountsInsteadOfBlocking() {
        var queue = LogLineQueue<Int>(capacity: 3)
        #expect(queue.offer(1) == true, "the first line wakes the writer")
        #expect(queue.offer(2) == false)
        #expect(queue.offer(3) == false)
        #expect(queue.offer(4) == nil, "full: dropped")
        #expect(queue.offer(5) == nil)
        let (lines, dropped) = queue.takeAll()
        #expect(lines == [1, 2, 3])
        #expect(dropped == 2)
        #expect(queue.isEmpty)
        #expect(queue.offer(6) == true, "room again after a take")
        #expect(queue.takeAll().dropped == 0, "drops are reported once")
        #expect(queue.droppedTotal == 2)
    }
}

@Suite struct LogLineFormatTests {
    static let hostilePath = "/stable/charts/a\"b\\c\nd\r\u{2028}\u{1}{\"x\":1}.tgz"
    static let hostileUser = "user:\"eve\"\n2026-01-01 info forged: line"

    static func record(_ metadata: Logger.Metadata) -> LogRecord {
        LogRecord(time: Date(timeIntervalSince1970: 1_795_000_000.25), level: .info, label: "chartwarden",
                  message: "request", metadata: metadata, source: "Server")
    }

    /// A path and a user full of quotes and newlines stay inside one JSON object on one line.
    @Test func jsonLineIsOneValidObjectWhateverTheRequestHolds() throws {
        let metadata: Logger.Metadata = [
            "path": .string(Self.hostilePath), "user": .string(Self.hostileUser), "status": .stringConvertible(404),
            "duration_ms": .stringConvertible(DurationMilliseconds(.microseconds(1_234_567))),
            "nested": .dictionary(["list": .array(["a\"", "b\n"])]),
        ]
        let bytes = LogLineFormat.json.render([Self.record(metadata), Self.record([:])])
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty, "two lines, each ending in a newline")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0])) as? [String: Any])
        #expect(object["message"] as? String == "request")
        #expect(object["level"] as? String == "info")
        #expect(object["time"] as? String == "2026-11-18T11:06:40.250000Z")
        let fields = try #require(object["metadata"] as? [String: Any])
        #expect(fields["path"] as? String == Self.hostilePath)
        #expect(fields["user"] as? String == Self.hostileUser)
        #expect(fields["status"] as? String == "404")
        #expect(fields["duration_ms"] as? String == "1234.57")
        #expect((fields["nested"] as? [String: Any])?["list"] as? [String] == ["a\"", "b\n"])
        let bare = try #require(try JSONSerialization.jsonObject(with: Data(lines[1])) as? [String: Any])
        #expect(bare["metadata"] == nil)
    }

    /// The text form is the line swift-log's `StreamLogHandler` writes, after its timestamp.
    @Test func textLineIsTheStreamLogHandlerLine() {
        final class Capture: TextOutputStream, @unchecked Sendable {
            var text = ""
            func write(_ string: String) { text += string }
        }
        let capture = Capture()
        let metadata: Logger.Metadata = ["path": "/a b", "status": .stringConvertible(200), "client": "::1"]
        StreamLogHandler(label: "chartwarden", stream: capture, metadataProvider: nil)
            .log(event: LogEvent(level: .info, message: "request", metadata: metadata, source: "Server",
                                 file: #fileID, function: #function, line: #line))
        let ours = String(decoding: LogLineFormat.text.render([Self.record(metadata)]), as: UTF8.self)
        func afterTimestamp(_ line: String) -> Substring { line.drop { $0 != " " } }
        #expect(afterTimestamp(ours) == afterTimestamp(capture.text))
        #expect(afterTimestamp(ours) == " info chartwarden: client=::1 path=/a b status=200 [Server] request\n")
    }

    /// An access line queued as fields prints exactly as the same line logged as metadata, in both
    /// formats, with the client's request id, a generated one, or one from the router's logger.
    @Test func accessEntriesPrintLikeTheirMetadata() throws {
        let entries = [
            AccessLogEntry(method: "GET", path: "/stable/index.yaml", status: 200, bytes: 13_027,
                           duration: .microseconds(1_234), client: "127.0.0.1", requestID: .generated(0x2a), pathKind: "fast"),
            AccessLogEntry(method: "HEAD", path: Self.hostilePath, status: 404, bytes: -1, duration: .zero,
                           client: "::1", requestID: .given("abc-1"), pathKind: nil),
            AccessLogEntry(method: "POST", path: "/api/stable/charts", status: 201, bytes: 0, duration: .seconds(2),
                           client: "-", requestID: nil, pathKind: nil),
        ]
        for format in LogLineFormat.allCases {
            for entry in entries {
                let time = Date(timeIntervalSince1970: 1_795_000_000.25)
                let typed = LogRecord(time: time, level: .info, label: "chartwarden", body: .access(entry), source: "Server")
                let generic = LogRecord(time: time, level: .info, label: "chartwarden", message: "request",
                                        metadata: entry.metadata, source: "Server")
                #expect(format.render([typed]) == format.render([generic]), "\(format) \(entry)")
            }
        }
        #expect(AccessLogEntry.RequestID.generated(0x2a).description.hasSuffix("-00000000002a"))
    }

    /// The handler queues an access line as fields only when nothing needs merging; the router's
    /// `request_id` on the logger becomes the line's id.
    @Test func handlerQueuesAccessFieldsOnlyWhenNothingNeedsMerging() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writer = BufferedLogWriter(format: .text, fileDescriptor: fds[1], capacity: 16, linger: .zero)
        var logger = Logger(label: "chartwarden") { BufferedLogHandler(label: $0, writer: writer, metadataProvider: nil) }
        logger[metadataKey: "request_id"] = "r-7"
        let entry = AccessLogEntry(method: "GET", path: "/a", status: 200, bytes: 1, duration: .zero, client: "c")
        AccessLogMiddleware.record(logger, level: .info, entry)
        logger[metadataKey: "user"] = "alice"
        AccessLogMiddleware.record(logger, level: .info, entry)
        writer.stop()
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = read(fds[0], &buffer, buffer.count)
        let lines = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(" info chartwarden: bytes=1 client=c duration_ms=0.00 method=GET path=/a request_id=r-7 status=200 [Server] request") == true, "\(lines)")
        #expect(lines.last?.contains(" request_id=r-7 status=200 user=alice [Server] request") == true, "\(lines)")
    }

    @Test func durationsPrintLikePercentPointTwoF() {
        #expect(DurationMilliseconds(.zero).description == "0.00")
        #expect(DurationMilliseconds(.nanoseconds(4_999)).description == "0.00")
        #expect(DurationMilliseconds(.nanoseconds(5_000)).description == "0.01")
        #expect(DurationMilliseconds(.milliseconds(12) + .microseconds(340)).description == "12.34")
        #expect(DurationMilliseconds(.seconds(2)).description == "2000.00")
    }

    /// The digits the writer appends for a number are `String(number)`'s.
    @Test func numbersPrintLikeStringOfThem() {
        for number in [0, 7, 10, 99, 100, 13_027, -1, -10, Int.max, Int.min] {
            var bytes: [UInt8] = []
            LogBytes.appendDecimal(number, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(number))
        }
    }
}

@Suite struct BufferedLogWriterTests {
    /// A writer stuck on a full pipe never blocks whoever logs: lines beyond the queue are dropped,
    /// counted, and the count is written once the pipe drains; the others arrive whole and in order.
    @Test func aStuckOutputDropsAndCountsWithoutBlockingTheLogger() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = BufferedLogWriter(format: .json, fileDescriptor: fds[1], capacity: 8)
        let padding = String(repeating: "x", count: 2_000)
        let total = 400 // about 800 KB: far more than a pipe holds, so the writer blocks
        for number in 0..<total {
            writer.submit(LogRecord(time: Date(), level: .info, label: "t", message: "line \(number)",
                                    metadata: ["pad": .string(padding)], source: "test"))
        }
        let dropped = writer.droppedCount
        #expect(dropped > 0, "the queue filled while the writer was stuck")
        // Drain the pipe on another thread while the writer finishes.
        let collected = Collected()
        let reader = Thread { [fd = fds[0]] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count <= 0 { break }
                collected.append(buffer[0..<count])
            }
            collected.finish()
        }
        reader.start()
        writer.stop()
        close(fds[1])
        collected.waitUntilFinished()
        close(fds[0])
        let lines = collected.bytes.split(separator: UInt8(ascii: "\n"))
        let messages = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])["message"] as? String
        }
        let written = messages.compactMap { $0 }.filter { $0.hasPrefix("line ") }
        #expect(written.count + dropped == total)
        #expect(written == written.sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }, "in order")
        #expect(messages.contains("log lines dropped: the writer fell behind"))
    }

    /// Warnings and errors are in the log when the call returns, after what was queued before them.
    @Test func warningsAreWrittenBeforeLogReturns() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        #expect(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0)
        let writer = BufferedLogWriter(format: .text, fileDescriptor: fds[1], capacity: 4)
        let logger = Logger(label: "t") { BufferedLogHandler(label: $0, writer: writer, metadataProvider: nil) }
        logger.info("queued first")
        logger.error("request failed", metadata: ["request_id": "r-1"])
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = read(fds[0], &buffer, buffer.count)
        let text = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2, "\(text)")
        #expect(lines.first?.hasSuffix("] queued first") == true)
        #expect(lines.last?.contains(" error t: request_id=r-1 [") == true)
        writer.stop()
        close(fds[1])
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [UInt8] = []
        private let done = DispatchSemaphore(value: 0)
        func append(_ bytes: ArraySlice<UInt8>) { lock.withLock { storage.append(contentsOf: bytes) } }
        func finish() { done.signal() }
        func waitUntilFinished() { done.wait() }
        var bytes: [UInt8] { lock.withLock { storage } }
    }
}

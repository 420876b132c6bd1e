import ChartWardenCore
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// Answers the hottest requests — GET/HEAD of index.yaml and of cached chart files in
/// repositories anonymous may read — straight from the decrypted bytes, before NIO's HTTP/1
/// parser and the router: parsing, HTTP type conversion and routing cost more than the answer.
///
/// It sits right after the TLS handler. While a connection sends only simple requests
/// (`SimpleRequestHead`) that it can answer, it answers them, pipelined ones in order. The first
/// request it cannot answer — a write, credentials, a miss, anything unusual, or a head split
/// across reads — and every byte after it go untouched to the HTTP/1 pipeline, for good, so the
/// access rules and the strict parser stay in one place. Answers are the router's own
/// (`HelmResponses`), with request id, metrics and access log like any other request.
///
/// Backpressure: a peer that pipelines requests and never reads must not make us answer them
/// all. Answers are flushed every `flushThreshold` bytes; once the channel is not writable, the
/// unanswered input is held here and no more is read until the peer drains what it was sent
/// (`channelWritabilityChanged`). Answers share their bodies, so what is queued costs at most
/// one answer above the channel's high water mark (the TLS handler encrypts only while writable).
///
/// Each answered request is reported to `RequestTimeoutHandler` below as a
/// `RequestProgressEvent`, since these requests never reach the HTTP/1 codec.
final class HelmFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Dependencies: Sendable {
        let service: ChartService
        let policy: AccessPolicy
        let answers: HelmAnswerCache
        let metrics: ServerMetrics
        let logger: Logger
        /// `logger`'s handler when it is the buffered writer's, cast once rather than per request.
        let bufferedLog: BufferedLogHandler?

        init(service: ChartService, policy: AccessPolicy, answers: HelmAnswerCache, metrics: ServerMetrics, logger: Logger) {
            self.service = service
            self.policy = policy
            self.answers = answers
            self.metrics = metrics
            self.logger = logger
            bufferedLog = logger.handler as? BufferedLogHandler
        }
    }

    /// Unflushed answer bytes after which the answers go out before the next request is read.
    static let flushThreshold = 64 * 1_024
    /// The plaintext of one TLS record: small buffers are gathered up to this size per write.
    static let recordBytes = 16_384

    let dependencies: Dependencies
    /// Set once a request went to the HTTP/1 pipeline: from then on every byte does.
    private var passingThrough = false
    private var unflushedBytes = 0
    /// Requests received but not answered yet, because the peer is not reading.
    private var heldInput: ByteBuffer?
    private var gate = FastPathInputGate()
    /// Metrics handles this connection used, so a busy connection looks each up once. Bounded
    /// without a cap: keys are route patterns, GET/HEAD, statuses and configured repositories,
    /// never request data.
    private struct MetricsKey: Hashable {
        let route: String
        let isGet: Bool
        let status: Int
    }
    private var requestMetrics: [MetricsKey: ServerMetrics.RequestMetrics] = [:]
    private var downloadCounters: [String: Metrics.Counter] = [:]
    /// The peer's address as the access log writes it, made once per connection.
    private var client: String?
    /// The last 200 answer this connection prepared, reused while its repository's generation
    /// holds: a client polling one index or downloading one chart skips the lookups, the access
    /// rule and the caches' locks. Every change a reader could see (publish, delete, quarantine,
    /// restore, a replica's catch-up) makes a new generation.
    private var lastAnswer: RememberedAnswer? {
        didSet { lastWire = nil }
    }
    /// `lastAnswer`'s GET response as last written, head and body in one buffer, when it fits in
    /// one TLS record: the next request for it changes only its id and date, in place.
    private var lastWire: Wire?

    private struct Wire {
        var bytes: ByteBuffer
        /// Where the generated request id's counter digits and the `Date` value start.
        let requestIDDigitsAt: Int
        let dateAt: Int
        let dateLength: Int
    }

    /// Bodies larger than this are not kept per connection: an idle keep-alive connection must not
    /// hold an old generation of a large index alive (the bytes cost more than the lookups then).
    static let rememberedBodyLimit = 256 * 1_024

    private struct RememberedAnswer {
        let path: String
        let acceptEncoding: String?
        let repository: ChartRepository
        let generation: UInt64
        let prepared: PreparedAnswer
    }

    init(_ dependencies: Dependencies) {
        self.dependencies = dependencies
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !passingThrough else {
            context.fireChannelRead(data)
            return
        }
        var buffer = unwrapInboundIn(data)
        if var held = heldInput {
            heldInput = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        process(buffer, context: context)
        answerHeld(context: context)
    }

    /// Answers what `input` holds, with the gate closed to writability events meanwhile.
    private func process(_ input: ByteBuffer, context: ChannelHandlerContext) {
        guard gate.answering(totalBytes: input.readableBytes) == .answer else {
            // The peer pipelines far more than it reads.
            gate.answered(heldBytes: 0)
            context.close(promise: nil)
            return
        }
        answerRequests(in: input, context: context)
        gate.answered(heldBytes: heldInput?.readableBytes ?? 0)
    }

    /// Answers held input while the channel is writable: a drain seen while answering (a flush
    /// fires writability events re-entrantly) was left to this loop.
    private func answerHeld(context: ChannelHandlerContext) {
        while context.channel.isWritable, !passingThrough, let held = heldInput {
            heldInput = nil
            process(held, context: context)
            if unflushedBytes > 0 { flushAnswers(context: context) }
            // Held input that turned out to be for the HTTP/1 pipeline was just passed on.
            if passingThrough { context.fireChannelReadComplete() }
        }
    }

    /// Answers the requests in `buffer` in order while the channel is writable; holds the rest.
    private func answerRequests(in input: ByteBuffer, context: ChannelHandlerContext) {
        var buffer = input
        while buffer.readableBytes > 0 {
            guard context.channel.isWritable else {
                heldInput = buffer
                return
            }
            guard case .request(let head, let length) = SimpleRequestHead.parse(buffer),
                  let prepared = prepareAnswer(for: head) else {
                passingThrough = true
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            }
            buffer.moveReaderIndex(forwardBy: length)
            write(prepared, for: head, context: context)
            context.triggerUserOutboundEvent(RequestProgressEvent.requestAnswered, promise: nil)
            if unflushedBytes >= Self.flushThreshold { flushAnswers(context: context) }
        }
    }

    private func flushAnswers(context: ChannelHandlerContext) {
        unflushedBytes = 0
        context.flush()
    }

    /// Not passed on while every request was answered here: the HTTP/1 pipeline above was given
    /// nothing to complete, and the event would cost a trip through its handlers per read.
    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushedBytes > 0 { flushAnswers(context: context) }
        if passingThrough { context.fireChannelReadComplete() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if gate.writabilityChanged(isWritable: context.channel.isWritable) == .answerHeld {
            answerHeld(context: context)
        }
        if gate.takeHeldRead(isWritable: context.channel.isWritable) { context.read() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        heldInput = nil
        context.fireChannelInactive()
    }

    // MARK: outbound

    /// No more input while unanswered requests are held, while answering, or while the peer is
    /// not reading what it was sent.
    func read(context: ChannelHandlerContext) {
        if gate.readRequested(isWritable: context.channel.isWritable) == .forward { context.read() }
    }

    // MARK: answers

    struct PreparedAnswer {
        let response: HelmResponses.Answer
        let route: String
        let served: (repository: String, kind: String)?
        /// This is the connection's `lastAnswer`.
        var isRemembered = false
    }

    private func prepareAnswer(for head: SimpleRequestHead) -> PreparedAnswer? {
        if head.ifNoneMatch == nil, let last = lastAnswer, last.path == head.path, last.acceptEncoding == head.acceptEncoding,
           last.repository.generation == last.generation {
            return last.prepared
        }
        if head.path.utf8.starts(with: "/v2/".utf8) { return prepareOCIAnswer(for: head) }
        // "/R/index.yaml", "/R/charts/F", "/index.yaml" or "/charts/F": split by hand, this runs per request.
        let path = head.path.utf8
        var segments: [Substring] = []
        segments.reserveCapacity(3)
        var start = path.index(after: path.startIndex)
        var index = start
        while index < path.endIndex {
            if path[index] == UInt8(ascii: "/") {
                segments.append(Substring(head.path[start..<index]))
                guard segments.count < 3 else { return nil }
                start = path.index(after: index)
            }
            index = path.index(after: index)
        }
        segments.append(Substring(head.path[start..<path.endIndex]))
        guard !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return nil }
        let repositoryName: Substring
        let rest: ArraySlice<Substring>
        switch segments.count {
        case 1, 2 where segments.first == "charts":
            (repositoryName, rest) = ("", segments[...])
        case 2, 3:
            (repositoryName, rest) = (segments[0], segments.dropFirst())
        default:
            return nil
        }
        // The router's own rule, asked for an anonymous caller: anything else goes to the router.
        guard let repository = dependencies.service.repository(named: String(repositoryName)),
              dependencies.policy.isPublic(repository.configuration) else { return nil }
        let snapshot = repository.snapshot
        let prefix = repositoryName.isEmpty ? "" : "/{repo}"
        if rest.count == 1, rest.first == "index.yaml" {
            // A gzip form not built yet is compressed by the router's handler, off the event loop.
            guard let response = HelmResponses.index(snapshot, of: repository.name, answers: dependencies.answers,
                                                     acceptEncoding: head.acceptEncoding, ifNoneMatch: head.ifNoneMatch)
            else { return nil }
            return remember(PreparedAnswer(response: response, route: prefix + "/index.yaml", served: nil),
                            for: head, repository: repository, generation: snapshot.generation)
        }
        guard rest.count == 2, rest.first == "charts" else { return nil }
        let fileName = String(rest.last!)
        guard HelmResponses.isServedFileName(fileName), let file = snapshot.files[fileName],
              let bytes = dependencies.service.catalog.blobCache.get(file.digest) else { return nil }
        let ok = dependencies.answers.fileOK(file, in: snapshot, repository: repository.name)
        let response = HelmResponses.file(file, bytes: bytes, ok: ok, ifNoneMatch: head.ifNoneMatch)
        let kind = file.kind == .chart ? "chart" : "provenance"
        return remember(PreparedAnswer(response: response, route: prefix + "/charts/{file}",
                                       served: response.status == .ok ? (repository.name, kind) : nil),
                        for: head, repository: repository, generation: snapshot.generation)
    }

    /// Keeps `prepared` for the connection's next request when it is a 200 of a small body.
    private func remember(_ prepared: PreparedAnswer, for head: SimpleRequestHead, repository: ChartRepository,
                          generation: UInt64) -> PreparedAnswer {
        guard head.ifNoneMatch == nil, prepared.response.status == .ok,
              prepared.response.bodyLength <= Self.rememberedBodyLimit else { return prepared }
        var remembered = prepared
        remembered.isRemembered = true
        lastAnswer = RememberedAnswer(path: head.path, acceptEncoding: head.acceptEncoding, repository: repository,
                                      generation: generation, prepared: remembered)
        return remembered
    }

    private func write(_ answer: PreparedAnswer, for head: SimpleRequestHead, context: ChannelHandlerContext) {
        let start = ContinuousClock.now
        let requestID: AccessLogEntry.RequestID = head.requestID.flatMap(RequestIDMiddleware.accept).map { .given($0) }
            ?? .generated(RequestIDMiddleware.nextSequence())
        // The remembered answer's last bytes on the wire, with this request's id and date set
        // in place: a client polling one small resource costs no head formatting and no copy of
        // the body. Only a generated id has a fixed width.
        let date = HTTPDate.now
        if answer.isRemembered, head.method == .get, case .generated(let sequence) = requestID, var wire = lastWire,
           date.utf8.count == wire.dateLength {
            lastWire = nil  // one owner while it changes: no copy-on-write once the last write went out
            RequestIDMiddleware.set(sequence, in: &wire.bytes, at: wire.requestIDDigitsAt)
            wire.bytes.setString(date, at: wire.dateAt)
            unflushedBytes += wire.bytes.readableBytes
            context.write(wrapOutboundOut(wire.bytes), promise: nil)
            lastWire = wire
        } else {
            writeAnswer(answer, method: head.method, requestID: requestID, date: date, context: context)
        }

        let status = answer.response.status
        let duration = ContinuousClock.now - start
        let method = head.method == .get ? "GET" : "HEAD"
        let key = MetricsKey(route: answer.route, isGet: head.method == .get, status: status.code)
        if let metrics = requestMetrics[key] {
            metrics.record(duration)
        } else {
            let metrics = dependencies.metrics.requestMetrics(route: answer.route, method: method, status: status.code)
            requestMetrics[key] = metrics
            metrics.record(duration)
        }
        if head.method == .get, let served = answer.served {
            let counterKey = served.repository + "/" + served.kind
            if let counter = downloadCounters[counterKey] {
                counter.increment()
            } else {
                let counter = dependencies.metrics.downloadCounter(repository: served.repository, kind: served.kind)
                downloadCounters[counterKey] = counter
                counter.increment()
            }
        }
        let logger = dependencies.logger
        if logger.logLevel <= .info {
            if client == nil { client = context.channel.remoteAddress?.ipAddress ?? "-" }
            AccessLogMiddleware.record(logger, through: dependencies.bufferedLog, level: .info, AccessLogEntry(
                method: method, path: head.path, status: status.code, bytes: answer.response.bodyLength,
                duration: duration, client: client!, requestID: requestID, pathKind: "fast"))
        }
    }

    /// Formats the head and writes head and body, gathering buffers smaller than a TLS record; keeps
    /// the bytes as `lastWire` when they are the remembered answer's whole GET response.
    private func writeAnswer(_ answer: PreparedAnswer, method: SimpleRequestHead.Method, requestID: AccessLogEntry.RequestID,
                             date: String, context: ChannelHandlerContext) {
        let status = answer.response.status
        // A body that fits in one record with the head is gathered into this buffer: sized for
        // both now, rather than grown (and copied) by doubling as the fragments go in.
        let bodyBytes = method == .get ? answer.response.bodyLength : 0
        var bytes = context.channel.allocator.buffer(capacity: bodyBytes <= Self.recordBytes - 512 ? 512 + bodyBytes : 512)
        if var serialized = answer.response.serializedHead {
            bytes.writeBuffer(&serialized)
        } else {
            bytes.writeStaticString("HTTP/1.1 ")
            bytes.writeString(String(status.code))
            bytes.writeStaticString(" ")
            bytes.writeString(status.reasonPhrase)
            bytes.writeStaticString("\r\n")
            for field in answer.response.headers {
                bytes.writeString(field.name.rawName)
                bytes.writeStaticString(": ")
                bytes.writeString(field.value)
                bytes.writeStaticString("\r\n")
            }
        }
        bytes.writeStaticString("X-Request-Id: ")
        switch requestID {
        case .given(let given):
            bytes.writeString(given)
        case .generated(let sequence):
            // The text of the id is made only for the head here; the log line makes its own later.
            RequestIDMiddleware.write(sequence, into: &bytes)
        }
        let requestIDEnd = bytes.writerIndex
        bytes.writeStaticString("\r\nDate: ")
        let dateAt = bytes.writerIndex
        bytes.writeString(date)
        bytes.writeStaticString("\r\n\r\n")
        let body = method == .get ? answer.response.body : []
        // Buffers smaller than a TLS record (the head, a file, the index's small chart fragments)
        // are gathered into record-sized writes: each write is its own SSL_write and record, and a
        // chain of hundreds of small fragments must not become hundreds of records. Larger
        // fragments go out as they are, shared with the snapshot (TLS splits them into records).
        var pending: ByteBuffer? = bytes
        var wroteEarlier = false
        for var chunk in body {
            if var gathered = pending, gathered.readableBytes + chunk.readableBytes <= Self.recordBytes {
                pending = nil  // one owner while it grows: no copy-on-write
                gathered.writeBuffer(&chunk)
                pending = gathered
                continue
            }
            if let gathered = pending {
                unflushedBytes += gathered.readableBytes
                context.write(wrapOutboundOut(gathered), promise: nil)
                pending = nil
            }
            wroteEarlier = true
            if chunk.readableBytes < Self.recordBytes {
                var gathered = context.channel.allocator.buffer(capacity: Self.recordBytes)
                gathered.writeBuffer(&chunk)
                pending = gathered
            } else {
                unflushedBytes += chunk.readableBytes
                context.write(wrapOutboundOut(chunk), promise: nil)
            }
        }
        if let gathered = pending {
            unflushedBytes += gathered.readableBytes
            context.write(wrapOutboundOut(gathered), promise: nil)
            if answer.isRemembered, method == .get, !wroteEarlier, case .generated = requestID {
                lastWire = Wire(bytes: gathered, requestIDDigitsAt: requestIDEnd - RequestIDMiddleware.counterDigitCount,
                                dateAt: dateAt, dateLength: date.utf8.count)
            }
        }
    }
}

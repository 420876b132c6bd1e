import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers the hottest requests — GET/HEAD of index.yaml and of cached chart files in
/// repositories anonymous may read — on the event loop, without the async router. Everything
/// else (writes, requests with credentials, misses, errors) goes to the router untouched, so the
/// access rules live in one place. Responses are built by the same `HelmResponses` as the
/// router's handlers, with request id, metrics and access log like any other request.
///
/// Sits after Hummingbird's connection-state handler, so idle timeouts and graceful shutdown
/// see these requests too. Pipelined requests keep their order: while the router owns a request
/// on this connection, later ones queue behind it there.
final class HelmFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Dependencies: Sendable {
        let service: ChartService
        let metrics: ServerMetrics
        let logger: Logger
    }

    private let dependencies: Dependencies
    /// Requests handed to the router whose response has not ended yet.
    private var routedInFlight = 0
    /// Swallowing the rest (end) of a request answered here.
    private var swallowing = false

    init(_ dependencies: Dependencies) {
        self.dependencies = dependencies
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            if routedInFlight == 0, let answer = answer(request, context: context) {
                swallowing = true
                write(answer, for: request, context: context)
                return
            }
            swallowing = false
            routedInFlight += 1
            context.fireChannelRead(data)
        case .body, .end:
            if swallowing {
                if case .end = part { swallowing = false }
                return
            }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), routedInFlight > 0 { routedInFlight -= 1 }
        context.write(data, promise: promise)
    }

    private struct Answer {
        let response: HelmResponses.Answer
        let route: String
        let served: (repository: String, kind: String)?
    }

    private func answer(_ request: HTTPRequest, context: ChannelHandlerContext) -> Answer? {
        guard request.method == .get || request.method == .head,
              request.headerFields[.contentLength] == nil, request.headerFields[.transferEncoding] == nil,
              // Credentials must be checked (a wrong password is a 401 even on a public repository).
              request.headerFields[.authorization] == nil,
              let fullPath = request.path else { return nil }
        let path = fullPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let repositoryName: Substring
        let rest: ArraySlice<Substring>
        switch segments.count {
        case 1, 2 where segments.first == "charts":
            (repositoryName, rest) = ("", ArraySlice(segments))
        case 2, 3:
            (repositoryName, rest) = (segments.first!, ArraySlice(segments.dropFirst()))
        default:
            return nil
        }
        guard let repository = dependencies.service.repository(named: String(repositoryName)),
              repository.configuration.read.contains(.anonymous) else { return nil }
        let prefix = repositoryName.isEmpty ? "" : "/{repo}"
        let ifNoneMatch = request.headerFields[.ifNoneMatch]
        if rest.count == 1, rest.first == "index.yaml" {
            let response = HelmResponses.index(repository.snapshot, acceptEncoding: request.headerFields[.acceptEncoding],
                                               ifNoneMatch: ifNoneMatch)
            return Answer(response: response, route: prefix + "/index.yaml", served: nil)
        }
        guard rest.count == 2, rest.first == "charts" else { return nil }
        let fileName = String(rest.last!)
        guard HelmResponses.isServedFileName(fileName), let file = repository.snapshot.files[fileName],
              let bytes = dependencies.service.blobCache.get(file.digest) else { return nil }
        let response = HelmResponses.file(file, bytes: bytes, ifNoneMatch: ifNoneMatch)
        let kind = file.kind == .chart ? "chart" : "provenance"
        return Answer(response: response, route: prefix + "/charts/{file}",
                      served: request.method == .get && response.status == .ok ? (repository.name, kind) : nil)
    }

    private func write(_ answer: Answer, for request: HTTPRequest, context: ChannelHandlerContext) {
        let start = ContinuousClock.now
        var headers = answer.response.headers
        let requestID = request.headerFields[RequestIDMiddleware.header].flatMap(RequestIDMiddleware.accept)
            ?? RequestIDMiddleware.generate()
        headers[RequestIDMiddleware.header] = requestID
        headers[.date] = HTTPDate.now
        let head = HTTPResponse(status: answer.response.status, headerFields: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method == .get, let body = answer.response.body {
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)

        let duration = ContinuousClock.now - start
        dependencies.metrics.requestCompleted(route: answer.route, method: request.method.rawValue,
                                              status: answer.response.status.code, duration: duration)
        if let served = answer.served {
            dependencies.metrics.chartServed(repository: served.repository, kind: served.kind)
        }
        let logger = dependencies.logger
        if logger.logLevel <= .info {
            AccessLogMiddleware.record(
                logger, level: .info, method: request.method.rawValue,
                path: String(request.path?.split(separator: "?").first ?? ""), status: answer.response.status.code,
                bytes: answer.response.body?.readableBytes ?? 0, duration: duration,
                client: context.channel.remoteAddress?.ipAddress,
                extra: ["request_id": .string(requestID), "path_kind": "fast"])
        }
    }
}

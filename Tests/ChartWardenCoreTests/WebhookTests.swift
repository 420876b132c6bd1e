import Foundation
import OpenSSLSupport
import Storage
import Testing
@testable import ChartWardenCore

@Suite("Webhooks")
struct WebhookTests {
    static let base = """
    server:
      tls: {certificate: a, privateKey: b}
    repositories:
      - {name: stable, read: ["anonymous"]}
      - {name: private}
    webhooks:

    """

    func parse(_ entry: String) throws(ConfigurationError) -> [Webhook] {
        try ChartWardenConfiguration.parse(yaml: Self.base + "  - " + entry).webhooks
    }

    func error(_ entry: String) -> ConfigurationError? {
        do {
            _ = try parse(entry)
            return nil
        } catch {
            return error
        }
    }

    // MARK: configuration

    @Test func aWebhookIsReadWithDefaults() throws {
        let hooks = try parse("{url: \"https://user:pw@hooks.example/in?token=t\", events: [chart.published, signer.revoked], "
            + "secret: \"0123456789abcdef\", repositories: [stable]}")
        #expect(hooks.count == 1)
        let hook = hooks[0]
        #expect(hook.events == [.chartPublished, .signerRevoked])
        #expect(hook.secret == Array("0123456789abcdef".utf8))
        #expect(hook.repositories == ["stable"])
        #expect(hook.maxRetrySeconds == 86_400 && hook.timeoutSeconds == 10 && hook.maxIntervalSeconds == 300)
        // Shown without credentials or query, and never with the secret.
        #expect(hook.displayURL == "https://hooks.example/in")
        #expect(!"\(hook)".contains("0123456789abcdef") && !"\(hook)".contains("pw"))
        let whole = try ChartWardenConfiguration.parse(yaml: Self.base + "  - {url: \"https://h.example/x\", "
            + "events: [chart.deleted], secret: \"0123456789abcdef\"}")
        for text in [String(describing: whole), String(reflecting: whole), "\(whole.webhooks)"] {
            #expect(!text.contains("0123456789abcdef") && !text.contains("[48, 49, 50"), "\(text)")
        }
        #expect(hook.key.count == 32)
    }

    @Test func loopbackMayUsePlainHTTPOthersMayNot() throws {
        for url in ["http://127.0.0.1:9000/h", "http://localhost/h", "http://[::1]:80/h"] {
            #expect(try parse("{url: \"\(url)\", events: [chart.deleted], secret: \"0123456789abcdef\"}").count == 1)
        }
        for url in ["http://hooks.example/h", "http://10.0.0.1/h", "ftp://127.0.0.1/h", "hooks.example/h", "https:///h"] {
            #expect(error("{url: \"\(url)\", events: [chart.deleted], secret: \"0123456789abcdef\"}")?.key == "webhooks[0].url",
                    "\(url)")
        }
    }

    @Test func errorsNameTheKeyAndNeverTheSecret() throws {
        let url = "url: \"https://h.example/x\""
        #expect(error("{\(url), events: [chart.pushed], secret: \"0123456789abcdef\"}")?.key == "webhooks[0].events[0]")
        #expect(error("{\(url), events: [], secret: \"0123456789abcdef\"}")?.key == "webhooks[0].events")
        #expect(error("{\(url), events: [chart.deleted]}")?.key == "webhooks[0].secret")
        let short = error("{\(url), events: [chart.deleted], secret: \"hunter2-short\"}")
        #expect(short?.key == "webhooks[0].secret" && !"\(short!)".contains("hunter2"))
        #expect(error("{\(url), events: [chart.deleted], secret: \"0123456789abcdef\", secretFile: /x}")?.key
                == "webhooks[0].secret")
        #expect(error("{\(url), events: [chart.deleted], secret: \"0123456789abcdef\", repositories: [nowhere]}")?.key
                == "webhooks[0].repositories[0]")
        #expect(error("{\(url), events: [chart.deleted], secret: \"0123456789abcdef\", retries: 3}")?.key
                == "webhooks[0].retries")
        #expect(error("{\(url), events: [chart.deleted], secretFile: /nonexistent/secret}")?.key == "webhooks[0].secretFile")
        #expect(error("{\(url), events: [chart.deleted], secret: \"0123456789abcdef\", maxRetrySeconds: 0}")?.key
                == "webhooks[0].maxRetrySeconds")
    }

    @Test func aSecretFileLosesItsFinalLineBreak() throws {
        let path = NSTemporaryDirectory() + "/webhook-secret-\(UUID().uuidString)"
        try "from-a-file-0123456789\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let hook = try parse("{url: \"https://h.example/x\", events: [chart.deleted], secretFile: \(path)}")[0]
        #expect(hook.secret == Array("from-a-file-0123456789".utf8))
    }

    @Test func aYAMLErrorNeverQuotesTheLineItIsOn() {
        // Review F15: Yams quotes the offending line, here the secret itself.
        for entry in ["{url: \"https://h.example/x\", events: [chart.deleted], secret: \"TOPSECRET-abc\\qdefghijklmnop\"}",
                      "url: \"https://h.example/x\"\n    events: [chart.deleted]\n    secret: TOPSECRET: abc: def"] {
            let failure = error(entry)
            #expect(failure != nil && !"\(failure!)".contains("TOPSECRET"), "\(String(describing: failure))")
        }
    }

    @Test func aSecretFileIsItsExactBytesLessOneFinalLineBreak() throws {
        // Review F7: a random key is not text; decoding it as UTF-8 signed with other bytes.
        let key: [UInt8] = Array(0x80..<0xA0) + [0x0A, 0x0D] + Array("tail".utf8)
        let path = NSTemporaryDirectory() + "/webhook-secret-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (content, expected) in [(key + [0x0D, 0x0A], key), (key + [0x0A], key), (key, key),
                                    (key + [0x0A, 0x0A], key + [0x0A])] {
            try Data(content).write(to: URL(fileURLWithPath: path))
            #expect(try parse("{url: \"https://h.example/x\", events: [chart.deleted], secretFile: \(path)}")[0].secret
                    == expected)
        }
        // The minimum is counted in the file's bytes.
        try Data(repeating: 0xFF, count: 15).write(to: URL(fileURLWithPath: path))
        #expect(error("{url: \"https://h.example/x\", events: [chart.deleted], secretFile: \(path)}")?.key == "webhooks[0].secret")
    }

    @Test func theLogKeepsFirstAttemptsEveryTenthAndTheOutcome() {
        // Review F8: a dead receiver costs rows per event, not per retry.
        let logged = (1...40).filter { WebhookDeliveryPlan.logs(attempt: $0, outcome: .retrying) }
        #expect(logged == [1, 2, 3, 10, 20, 30, 40])
        #expect(WebhookDeliveryPlan.logs(attempt: 17, outcome: .delivered))
        #expect(WebhookDeliveryPlan.logs(attempt: 17, outcome: .abandoned))
    }

    @Test func repositoriesFilterRepositoryEventsNotTrustWideOnes() {
        let hook = Webhook(url: "https://h.example", events: [.chartPublished, .signerRevoked], secret: [],
                           repositories: ["stable"])
        #expect(hook.wants(.chartPublished, repository: "stable"))
        #expect(!hook.wants(.chartPublished, repository: "private"))
        #expect(!hook.wants(.chartDeleted, repository: "stable"))
        #expect(hook.wants(.signerRevoked, repository: nil))
    }

    // MARK: CloudEvents and signature

    static let event = WebhookEvent(
        id: "42-1800000000125", type: .chartPublished, time: Date(timeIntervalSince1970: 1_800_000_000.125),
        repository: "stable", subject: "redis-lite/0.8.1",
        data: .object(["name": .string("redis-lite"), "version": .string("0.8.1"), "repository": .string("stable")]))

    @Test func theBodyIsACloudEventInStructuredMode() throws {
        let body = try CloudEvent(Self.event, sourceBase: "https://charts.example").body()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["specversion"] as? String == "1.0")
        #expect(object["id"] as? String == "42-1800000000125")
        #expect(object["type"] as? String == "chart.published")
        #expect(object["source"] as? String == "https://charts.example/stable")
        #expect(object["subject"] as? String == "redis-lite/0.8.1")
        #expect(object["time"] as? String == "2027-01-15T08:00:00.125Z")
        #expect(object["datacontenttype"] as? String == "application/json")
        #expect((object["data"] as? [String: Any])?["version"] as? String == "0.8.1")
        // Same event, same bytes: retries and other replicas sign the same body.
        #expect(try CloudEvent(Self.event, sourceBase: "https://charts.example").body() == body)
        var trustWide = Self.event
        trustWide.repository = nil
        #expect(CloudEvent(trustWide, sourceBase: nil).source == "urn:chartwarden")
    }

    @Test func theSignatureIsHMACSHA256OfTheExactBody() {
        let body = Array("{\"id\":\"1\"}".utf8)
        let secret = Array("0123456789abcdef".utf8)
        // Python: hmac.new(b"0123456789abcdef", b'{"id":"1"}', hashlib.sha256).hexdigest()
        #expect(WebhookSignature.value(body: body, secret: secret)
                == "sha256=" + OpenSSLHMAC.sha256Hex(body, key: secret))
        #expect(WebhookSignature.value(body: body + [0x20], secret: secret) != WebhookSignature.value(body: body, secret: secret))
    }

    // MARK: retries

    @Test func backoffDoublesUpToItsCapWithJitterAndStopsAtTheRetryTime() {
        let policy = WebhookRetryPolicy(initialInterval: 1, maxInterval: 8, maxRetry: 60)
        #expect((1...6).map { policy.interval(afterAttempt: $0) } == [1, 2, 4, 8, 8, 8])
        let event = Date(timeIntervalSince1970: 1_000)
        let now = event.addingTimeInterval(10)
        #expect(policy.decide(.accepted, attempt: 1, eventTime: event, now: now, jitter: 0.3) == .delivered)
        // Jitter picks between half and all of the interval.
        #expect(policy.decide(.failed, attempt: 3, eventTime: event, now: now, jitter: 0) == .retry(at: now.addingTimeInterval(2)))
        #expect(policy.decide(.failed, attempt: 3, eventTime: event, now: now, jitter: 1) == .retry(at: now.addingTimeInterval(4)))
        // Near the end: one last attempt at the deadline, then nothing.
        let late = event.addingTimeInterval(57)
        #expect(policy.decide(.failed, attempt: 9, eventTime: event, now: late, jitter: 1) == .retry(at: event.addingTimeInterval(60)))
        #expect(policy.decide(.failed, attempt: 10, eventTime: event, now: event.addingTimeInterval(60), jitter: 0) == .abandon)
        // Only 2xx is accepted.
        #expect([200, 202, 204, 299].allSatisfy { WebhookRetryPolicy.outcome(status: $0) == .accepted })
        #expect([nil, 199, 301, 400, 410, 500, 503].allSatisfy { WebhookRetryPolicy.outcome(status: $0) == .failed })
    }

    @Test func aReceiverDownForAWhileIsRetriedUntilItComesBack() {
        // The integration test's shape: down 30 s, interval capped at 2 s, retry time 120 s.
        let policy = WebhookRetryPolicy(initialInterval: 1, maxInterval: 2, maxRetry: 120)
        let event = Date(timeIntervalSince1970: 0)
        var now = event
        var attempt = 1
        while now < event.addingTimeInterval(30) {
            guard case .retry(let at) = policy.decide(.failed, attempt: attempt, eventTime: event, now: now, jitter: 0.5) else {
                Issue.record("gave up at \(now)")
                return
            }
            #expect(at.timeIntervalSince(now) <= 2)
            now = at
            attempt += 1
        }
        #expect(policy.decide(.accepted, attempt: attempt, eventTime: event, now: now, jitter: 0.5) == .delivered)
    }

    // MARK: the plan

    @Test func deliveriesAreMadeForWhatAWebhookWants() throws {
        var other = Self.event
        other.id = "43-1"
        other.repository = "private"
        var revoked = Self.event
        revoked.id = "44-1"
        revoked.type = .signerRevoked
        revoked.repository = nil
        let hook = Webhook(url: "https://h.example/x", events: [.chartPublished, .signerRevoked], secret: [],
                           repositories: ["stable"])
        let deliveries = try WebhookDeliveryPlan.deliveries(of: [Self.event, other, revoked], for: hook, sourceBase: nil,
                                                            now: Self.event.time.addingTimeInterval(10))
        #expect(deliveries.map(\.eventID) == ["42-1800000000125", "44-1"])
        #expect(deliveries.allSatisfy { $0.webhook == hook.key && $0.attempts == 0 && $0.nextAttemptAt == $0.createdAt })
        #expect(Array(deliveries[0].body.utf8) == (try CloudEvent(Self.event, sourceBase: nil).body()))
    }

    @Test func urlCredentialsBecomeABasicHeaderNotPartOfTheRequestURL() {
        let target = WebhookTarget("https://hook%20user:p%40ss@h.example:8443/in?token=t")
        #expect(target.url == "https://h.example:8443/in?token=t")
        #expect(target.authorization == "Basic " + Data("hook user:p@ss".utf8).base64EncodedString())
        let plain = WebhookTarget("https://h.example/in")
        #expect(plain.url == "https://h.example/in" && plain.authorization == nil)
    }

    @Test func onlyReceiversWithDueWorkClaim() {
        let now = Date(timeIntervalSince1970: 100)
        #expect(WebhookDeliveryPlan.due(["a", "b", "c", "d"], nextAttempts: ["a": now, "b": now.addingTimeInterval(1),
                                                                              "d": now.addingTimeInterval(-3)], now: now)
                == ["a", "d"])
    }

    // MARK: review findings

    @Test func plainHTTPOnlyToLiteralLoopbackAddresses() throws {
        // Review F2: a DNS name that starts with 127. resolves wherever its owner wants.
        for host in ["127.0.0.1", "127.255.0.9", "localhost", "LOCALHOST", "::1", "[::1]"] {
            #expect(Webhook.isLoopbackHost(host), "\(host)")
        }
        for host in ["127.attacker.example", "127.0.0.1.nip.io", "127.0.0", "127.0.0.1.", "1270.0.0.1", "128.0.0.1",
                     "127.0.0.256", "localhost.example", "::2", "0127.0.0.1"] {
            #expect(!Webhook.isLoopbackHost(host), "\(host)")
        }
        for url in ["http://127.attacker.example/hook", "http://127.0.0.1.nip.io:8080/hook"] {
            #expect(error("{url: \"\(url)\", events: [chart.deleted], secret: \"0123456789abcdef\"}")?.key
                    == "webhooks[0].url", "\(url)")
        }
    }

    @Test func aReceiverKeepsItsKeyWhenItsCredentialsOrQueryChange() throws {
        // Review F6: rotating a password in the URL must not orphan the deliveries owed.
        let old = Webhook(url: "https://hook:old@h.example/in?token=a", events: [.chartPublished], secret: [])
        let new = Webhook(url: "https://hook:new@h.example/in?token=b", events: [.chartPublished], secret: [])
        #expect(old.key == new.key)
        #expect(old.key != Webhook(url: "https://h.example/other", events: [.chartPublished], secret: []).key)
        #expect(error("{url: \"https://a:b@h.example/x\", events: [chart.deleted], secret: \"0123456789abcdef\"}\n"
            + "  - {url: \"https://h.example/x?t=1\", events: [chart.published], secret: \"0123456789abcdef\"}")?.key
                == "webhooks[1].url")
    }

    @Test func everyReceiverHasItsOwnSlots() {
        // Review F3: four stuck receivers at their limit leave the fifth its slots.
        let limits = WebhookDeliveryPlan.Limits.forWebhooks(5)
        let claims = WebhookDeliveryPlan.claims(webhooks: ["a", "b", "c", "d", "e"],
                                                inFlight: ["a": 4, "b": 4, "c": 4, "d": 4], limits: limits)
        #expect(claims == ["e": 4])
    }

    @Test func staleOrUnwantedDeliveriesAreDroppedUnsent() throws {
        let hook = Webhook(url: "https://h.example/x", events: [.chartPublished], secret: [], repositories: ["stable"],
                           maxRetrySeconds: 60)
        // Review F4: an event older than the retry time is not enqueued at all.
        #expect(try WebhookDeliveryPlan.deliveries(of: [Self.event], for: hook, sourceBase: nil,
                                                   now: Self.event.time.addingTimeInterval(61)).isEmpty)
        let delivery = try #require(try WebhookDeliveryPlan.deliveries(
            of: [Self.event], for: hook, sourceBase: nil, now: Self.event.time).first)
        #expect(WebhookDeliveryPlan.reasonNotToSend(delivery, webhook: hook, now: Self.event.time.addingTimeInterval(5)) == nil)
        #expect(WebhookDeliveryPlan.reasonNotToSend(delivery, webhook: hook, now: Self.event.time.addingTimeInterval(61))
                == "not sent: older than maxRetrySeconds")
        // Review F5: a scope narrowed while the delivery was owed stops it.
        var narrowed = hook
        narrowed.repositories = ["other"]
        #expect(WebhookDeliveryPlan.reasonNotToSend(delivery, webhook: narrowed, now: Self.event.time)
                == "not sent: no longer wanted by the configuration")
        narrowed = hook
        narrowed.events = [.chartDeleted]
        #expect(WebhookDeliveryPlan.reasonNotToSend(delivery, webhook: narrowed, now: Self.event.time) != nil)
        let dropped = WebhookDeliveryPlan.dropped(delivery, webhook: hook, reason: "not sent: x", now: Self.event.time)
        #expect(dropped.outcome == .abandoned && dropped.statusCode == nil && dropped.error == "not sent: x")
    }

    @Test func claimsShareFreeSlotsFairlyWithinBothLimits() {
        let limits = WebhookDeliveryPlan.Limits(total: 5, perWebhook: 3)
        #expect(WebhookDeliveryPlan.claims(webhooks: ["a", "b"], inFlight: [:], limits: limits) == ["a": 3, "b": 2])
        #expect(WebhookDeliveryPlan.claims(webhooks: ["a", "b"], inFlight: ["a": 3], limits: limits) == ["b": 2])
        #expect(WebhookDeliveryPlan.claims(webhooks: ["a", "b", "c"], inFlight: [:], limits: limits) == ["a": 2, "b": 2, "c": 1])
        #expect(WebhookDeliveryPlan.claims(webhooks: ["a"], inFlight: ["a": 2, "gone": 3], limits: limits).isEmpty)
    }

    @Test func theWorkerWakesForDueWorkWithAFreeSlotOrToPoll() {
        let now = Date(timeIntervalSince1970: 100)
        let limits = WebhookDeliveryPlan.Limits(total: 4, perWebhook: 2)
        let soon = now.addingTimeInterval(0.2)
        #expect(WebhookDeliveryPlan.wake(now: now, nextAttempts: [:], inFlight: [:], limits: limits) == now.addingTimeInterval(1))
        #expect(WebhookDeliveryPlan.wake(now: now, nextAttempts: ["a": soon], inFlight: [:], limits: limits) == soon)
        // Overdue work is due now, not in the past.
        #expect(WebhookDeliveryPlan.wake(now: now, nextAttempts: ["a": now.addingTimeInterval(-5)], inFlight: [:],
                                         limits: limits) == now)
        // Due work behind a full receiver waits for a slot (or the poll), never spins.
        #expect(WebhookDeliveryPlan.wake(now: now, nextAttempts: ["a": now.addingTimeInterval(-5)], inFlight: ["a": 2],
                                         limits: limits) == now.addingTimeInterval(1))
        #expect(WebhookDeliveryPlan.wake(now: now, nextAttempts: ["b": now], inFlight: ["a": 2, "c": 2],
                                         limits: limits) == now.addingTimeInterval(1))
    }

    @Test func settlingRecordsTheAttemptAndDecidesTheNextOne() {
        let hook = Webhook(url: "https://u:p@h.example/x?k=v", events: [.chartPublished], secret: [], maxRetrySeconds: 60,
                           maxIntervalSeconds: 4)
        let created = Date(timeIntervalSince1970: 1_000)
        let delivery = WebhookDeliveryRecord(id: 7, webhook: hook.key, eventID: "42-1", eventType: "chart.published", body: "{}",
                                             createdAt: created, nextAttemptAt: created, attempts: 2)
        let now = created.addingTimeInterval(5)
        let failed = WebhookDeliveryPlan.settle(delivery, webhook: hook, status: nil, error: "timeout", now: now, jitter: 1)
        #expect(failed.retryAt == now.addingTimeInterval(2))
        #expect(failed.attempt.outcome == .retrying && failed.attempt.attempt == 2 && failed.attempt.error == "timeout")
        #expect(failed.attempt.url == "https://h.example/x" && failed.attempt.nextAttemptAt == failed.retryAt)
        let done = WebhookDeliveryPlan.settle(delivery, webhook: hook, status: 204, error: nil, now: now, jitter: 0)
        #expect(done.retryAt == nil && done.attempt.outcome == .delivered && done.attempt.statusCode == 204)
        let over = WebhookDeliveryPlan.settle(delivery, webhook: hook, status: 500, error: nil,
                                              now: created.addingTimeInterval(61), jitter: 0)
        #expect(over.retryAt == nil && over.attempt.outcome == .abandoned)
    }

    // MARK: from the change journal

    @Test func journalRowsBecomeEventsWithAStableIDAndTheirDetail() throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000.5)
        let rejected = ChangeEvent(id: 17, at: at, type: .uploadRejected, repository: "signed", generation: 3,
                                   name: "redis-lite", version: "0.8.2", fingerprint: nil, actor: "cert:ci-pusher",
                                   data: #"{"failedChecks":["trusted-signer"]}"#)
        let event = try #require(WebhookEvent(change: rejected))
        #expect(event.id == "17-1800000000500" && event.type == .uploadRejected && event.time == at)
        #expect(event.repository == "signed" && event.subject == "redis-lite/0.8.2")
        #expect(event.data == .object(["repository": .string("signed"), "name": .string("redis-lite"),
                                       "version": .string("0.8.2"), "actor": .string("cert:ci-pusher"),
                                       "detail": .object(["failedChecks": .array([.string("trusted-signer")])])]))
        let revoked = ChangeEvent(id: 18, at: at, type: .signerRevoked, repository: nil, generation: 1, name: nil,
                                  version: nil, fingerprint: "ABCD", actor: "cert:admin", data: nil)
        #expect(WebhookEvent(change: revoked)?.subject == "ABCD")
        // Journal rows webhooks do not send: stages, key material.
        for type: ChangeEventType in [.chartStaged, .chartStagingExpired, .chartStagingDropped, .chartProvenanceAttached,
                                      .signerKeyUpdated] {
            var change = revoked
            change.type = type
            #expect(WebhookEvent(change: change) == nil, "\(type)")
        }
        // Every type webhooks send is a journal type.
        #expect(Webhook.EventType.allCases.allSatisfy { ChangeEventType(rawValue: $0.rawValue) != nil })
    }
}

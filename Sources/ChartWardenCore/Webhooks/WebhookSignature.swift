import OpenSSLSupport

/// The signature header of a delivery (README, "Webhooks"): `X-ChartWarden-Signature-256:
/// sha256=HEX`, the HMAC-SHA256 of the exact body bytes under the webhook's secret. Receivers
/// recompute it over the raw body before parsing it and compare in constant time; the body
/// carries the event's `id` and `time`, so a replayed delivery is a duplicate id.
package enum WebhookSignature {
    package static let header = "X-ChartWarden-Signature-256"

    package static func value(body: [UInt8], secret: [UInt8]) -> String {
        "sha256=" + OpenSSLHMAC.sha256Hex(body, key: secret)
    }
}

import Foundation
import OpenSSLSupport

/// An OCI image manifest that carries one Helm chart: the Helm config, exactly one chart layer
/// and at most one provenance layer (README, "OCI"). Parsed strictly from untrusted bytes:
/// unknown fields, foreign artifact types, `urls` (foreign layers), inline `data` and digests
/// other than sha256 are refused with the reason.
package struct HelmChartManifest: Sendable, Equatable {
    package struct Descriptor: Sendable, Equatable {
        package let mediaType: String
        package let digest: SHA256Digest
        package let size: Int64
    }

    package let config: Descriptor
    package let chart: Descriptor
    package let provenance: Descriptor?
    package let annotations: [String: String]
    /// The manifest this one refers to (distribution-spec 1.1 referrers): listed by
    /// `GET /v2/<name>/referrers/<subject digest>`.
    package let subject: Descriptor?

    /// Manifests are a few hundred bytes; a bound keeps hostile ones cheap.
    package static let maxBytes = 64 * 1024
    /// The creation time Helm stamps into every push.
    package static let createdAnnotation = "org.opencontainers.image.created"
    static let maxCreatedBytes = 64

    package static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    package static let configMediaType = "application/vnd.cncf.helm.config.v1+json"
    package static let chartMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    package static let provenanceMediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov"
    /// Manifest types that are not a Helm chart manifest: answered `UNSUPPORTED`.
    static let foreignManifestTypes: Set<String> = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ]

    private static let topLevelKeys: Set<String> = ["schemaVersion", "mediaType", "artifactType", "config", "layers",
                                                    "annotations", "subject"]
    private static let descriptorKeys: Set<String> = ["mediaType", "digest", "size", "annotations", "artifactType"]

    /// Reads `bytes` sent with `contentType` (the request's `Content-Type`, nil when absent).
    package static func parse(_ bytes: [UInt8], contentType: String?) throws(OCIError) -> HelmChartManifest {
        let declared = declaredMediaType(contentType)
        if let declared, foreignManifestTypes.contains(declared) {
            throw OCIError(.unsupported, "only Helm chart manifests (\(manifestMediaType)) are accepted, not \(declared)")
        }
        guard bytes.count <= maxBytes else {
            throw OCIError(.manifestInvalid, "manifest is larger than \(maxBytes) bytes", statusOverride: 413)
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parse(bytes)
        } catch {
            throw OCIError(.manifestInvalid, "manifest is not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard let object = json.object else { throw OCIError(.manifestInvalid, "manifest is not a JSON object") }
        let mediaType = try optionalString(object["mediaType"], "mediaType")
        if let mediaType, mediaType != manifestMediaType {
            throw OCIError(foreignManifestTypes.contains(mediaType) ? .unsupported : .manifestInvalid,
                           "only Helm chart manifests (\(manifestMediaType)) are accepted, not \(mediaType)")
        }
        if let declared, declared != manifestMediaType {
            throw OCIError(.manifestInvalid, "Content-Type \(declared) is not \(manifestMediaType)")
        }
        if let unknown = Set(object.keys).subtracting(topLevelKeys).sorted().first {
            throw OCIError(.manifestInvalid, "unknown manifest field \"\(unknown)\"")
        }
        guard object["schemaVersion"]?.integer == 2 else {
            throw OCIError(.manifestInvalid, "schemaVersion must be 2")
        }
        if let artifactType = try optionalString(object["artifactType"], "artifactType"), artifactType != configMediaType {
            throw OCIError(.unsupported, "artifact type \(artifactType) is not a Helm chart (\(configMediaType))")
        }
        guard let configValue = object["config"] else { throw OCIError(.manifestInvalid, "manifest has no config") }
        let config = try descriptor(configValue, "config")
        guard config.mediaType == configMediaType else {
            throw OCIError(.unsupported, "config media type \(config.mediaType) is not a Helm chart config (\(configMediaType)); "
                + "only Helm charts are accepted")
        }
        guard let layers = object["layers"]?.array else { throw OCIError(.manifestInvalid, "manifest has no layers array") }
        var charts: [Descriptor] = []
        var provenances: [Descriptor] = []
        for (index, layer) in layers.enumerated() {
            let parsed = try descriptor(layer, "layers[\(index)]")
            switch parsed.mediaType {
            case chartMediaType: charts.append(parsed)
            case provenanceMediaType: provenances.append(parsed)
            default:
                throw OCIError(.manifestInvalid, "layers[\(index)] has media type \(parsed.mediaType); a Helm chart manifest "
                    + "holds only \(chartMediaType) and \(provenanceMediaType) layers")
            }
        }
        guard charts.count == 1 else {
            throw OCIError(.manifestInvalid, "a Helm chart manifest needs exactly one \(chartMediaType) layer, this one has \(charts.count)")
        }
        guard provenances.count <= 1 else {
            throw OCIError(.manifestInvalid, "a Helm chart manifest has at most one \(provenanceMediaType) layer, this one has \(provenances.count)")
        }
        let annotations = try annotations(object["annotations"], "annotations")
        // The one field a re-push may change (`OCIPushedManifest.mayJoin`): a timestamp, not a place for payloads.
        if let created = annotations[createdAnnotation], created.utf8.count > maxCreatedBytes {
            throw OCIError(.manifestInvalid, "\(createdAnnotation) is \(created.utf8.count) bytes; a timestamp "
                + "(RFC 3339) has at most \(maxCreatedBytes)")
        }
        return HelmChartManifest(config: config, chart: charts[0], provenance: provenances.first,
                                 annotations: annotations,
                                 subject: try object["subject"].map { value throws(OCIError) in try descriptor(value, "subject") })
    }

    /// The same manifest without the creation time Helm stamps into every push.
    package var withoutCreationTime: HelmChartManifest {
        var annotations = annotations
        annotations[Self.createdAnnotation] = nil
        return HelmChartManifest(config: config, chart: chart, provenance: provenance, annotations: annotations, subject: subject)
    }

    /// The media type of a `Content-Type` value without its parameters; nil when absent or empty
    /// (`""`, `";"`, `" ; charset=x"`), which is treated as no declared type.
    static func declaredMediaType(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let type = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        return type.isEmpty ? nil : type
    }

    private static func optionalString(_ value: StrictJSON?, _ field: String) throws(OCIError) -> String? {
        guard let value else { return nil }
        guard let string = value.string else { throw OCIError(.manifestInvalid, "\(field) must be a string") }
        return string
    }

    private static func annotations(_ value: StrictJSON?, _ field: String) throws(OCIError) -> [String: String] {
        guard let value else { return [:] }
        guard let object = value.object else { throw OCIError(.manifestInvalid, "\(field) must be an object of strings") }
        var out: [String: String] = [:]
        for (key, entry) in object {
            guard let string = entry.string else { throw OCIError(.manifestInvalid, "\(field).\(key) must be a string") }
            out[key] = string
        }
        return out
    }

    private static func descriptor(_ value: StrictJSON, _ field: String) throws(OCIError) -> Descriptor {
        guard let object = value.object else { throw OCIError(.manifestInvalid, "\(field) is not a descriptor object") }
        if let unknown = Set(object.keys).subtracting(descriptorKeys).sorted().first {
            throw OCIError(.manifestInvalid, "\(field) has the field \"\(unknown)\", which Helm chart manifests do not use")
        }
        guard let mediaType = object["mediaType"]?.string else { throw OCIError(.manifestInvalid, "\(field) has no mediaType") }
        guard let digestText = object["digest"]?.string else { throw OCIError(.manifestInvalid, "\(field) has no digest") }
        guard let digest = OCIDigest.parse(digestText) else {
            throw OCIError(.manifestInvalid, "\(field) digest \(digestText) is not a sha256 digest (sha256:<64 lowercase hex>)")
        }
        guard let size = object["size"]?.integer, size >= 0 else {
            throw OCIError(.manifestInvalid, "\(field) has no valid size")
        }
        _ = try annotations(object["annotations"], "\(field).annotations")
        return Descriptor(mediaType: mediaType, digest: digest, size: size)
    }
}

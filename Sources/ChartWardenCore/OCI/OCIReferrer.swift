/// One entry of a referrers answer: a descriptor of a manifest, with its artifact type and annotations.
package struct OCIReferrer: Sendable, Encodable, Equatable {
    package let mediaType: String
    package let digest: String
    package let size: Int64
    package let artifactType: String
    package let annotations: [String: String]?
}

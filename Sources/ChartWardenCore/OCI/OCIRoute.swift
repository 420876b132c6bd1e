import Foundation

/// What a `/v2/...` path addresses (distribution-spec endpoints), parsed without the router so
/// names of one or two components share one set of routes.
package enum OCIRoute: Sendable, Equatable {
    /// `GET /v2/`: the API version check.
    case base
    case manifest(OCIAddress, reference: String)
    case blob(OCIAddress, digest: String)
    /// `POST /v2/<name>/blobs/uploads/`.
    case uploads(OCIAddress)
    case upload(OCIAddress, id: String)
    case tags(OCIAddress)
    case referrers(OCIAddress, digest: String)

    /// `path` is the request path, starting with `/v2`. Nil when it is not an OCI endpoint;
    /// `OCIError.nameInvalid` when the name breaks the spec's grammar or has more than two components.
    package static func parse(_ path: String) throws(OCIError) -> OCIRoute? {
        guard path == "/v2" || path.hasPrefix("/v2/") else { return nil }
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).map(String.init)
        if components.isEmpty || components == [""] { return .base }
        // `blobs/uploads/` ends with an empty component; anything else may not.
        let trailingSlash = components.last == ""
        if trailingSlash { components.removeLast() }
        let count = components.count
        guard count >= 3 else { return nil }
        if components[count - 2] == "tags", components[count - 1] == "list", !trailingSlash {
            return .tags(try OCIAddress(components[..<(count - 2)]))
        }
        if components[count - 2] == "blobs", components[count - 1] == "uploads" {
            return .uploads(try OCIAddress(components[..<(count - 2)]))
        }
        guard !trailingSlash else { return nil }
        if count >= 4, components[count - 3] == "blobs", components[count - 2] == "uploads" {
            return .upload(try OCIAddress(components[..<(count - 3)]), id: components[count - 1])
        }
        switch components[count - 2] {
        case "manifests": return .manifest(try OCIAddress(components[..<(count - 2)]), reference: components[count - 1])
        case "blobs": return .blob(try OCIAddress(components[..<(count - 2)]), digest: components[count - 1])
        case "referrers": return .referrers(try OCIAddress(components[..<(count - 2)]), digest: components[count - 1])
        default: return nil
        }
    }
}

/// A chart as OCI names it: `<repo>/<chart>` in a configured repository, `<chart>` in the root
/// repository (named "").
package struct OCIAddress: Sendable, Equatable {
    package let repository: String
    package let chart: String

    package init(repository: String, chart: String) {
        self.repository = repository
        self.chart = chart
    }

    init(_ components: ArraySlice<String>) throws(OCIError) {
        guard components.allSatisfy(Self.isValidComponent) else {
            throw OCIError(.nameInvalid, "invalid repository name \(components.joined(separator: "/"))")
        }
        switch components.count {
        case 1: self.init(repository: "", chart: components[components.startIndex])
        case 2: self.init(repository: components[components.startIndex], chart: components[components.startIndex + 1])
        default:
            throw OCIError(.nameInvalid, "a name is <repository>/<chart> or <chart> (the root repository), "
                + "not \(components.joined(separator: "/"))")
        }
    }

    /// The path the address has under `/v2/`.
    package var name: String { repository.isEmpty ? chart : "\(repository)/\(chart)" }

    /// The spec's component grammar: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
    static func isValidComponent(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        guard !bytes.isEmpty, bytes.count <= 128 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard alphanumeric(bytes[0]), alphanumeric(bytes[bytes.count - 1]) else { return false }
        var index = 0
        while index < bytes.count {
            if alphanumeric(bytes[index]) { index += 1; continue }
            let start = index
            while index < bytes.count, !alphanumeric(bytes[index]) { index += 1 }
            let separator = bytes[start..<index]
            let valid = separator.elementsEqual([UInt8(ascii: ".")]) || separator.elementsEqual([UInt8(ascii: "_")])
                || separator.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
                || separator.allSatisfy { $0 == UInt8(ascii: "-") }
            guard valid else { return false }
        }
        return true
    }
}

/// Tags are chart versions with `+` written as `_` (as Helm does: `+` is not allowed in a tag).
package enum OCITag {
    package static func tag(forVersion version: String) -> String {
        version.replacingOccurrences(of: "+", with: "_")
    }

    package static func version(forTag tag: String) -> String {
        tag.replacingOccurrences(of: "_", with: "+")
    }

    /// The spec's tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    package static func isValid(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard !bytes.isEmpty, bytes.count <= 128 else { return false }
        func word(_ byte: UInt8) -> Bool {
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F
        }
        return word(bytes[0]) && bytes.dropFirst().allSatisfy { word($0) || $0 == 0x2E || $0 == 0x2D }
    }
}

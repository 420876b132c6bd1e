import ChartArchive
import ChartModel
import Foundation
import Testing

/// The charts packaged by the real Helm library all parse, with the metadata they were written with.
@Suite struct PackagedChartTests {
    static let files: [String] = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.packaged)
        .filter { $0.hasSuffix(".tgz") }.sorted()) ?? []

    @Test func thereAreEnoughFixtures() {
        #expect(Self.files.count >= 12)
        #expect(Set(Self.files.map { $0.split(separator: "-").dropLast().joined() }).count >= 6)
    }

    @Test(arguments: files)
    func parses(fileName: String) throws {
        let package = try ChartArchiveReader().read(bytes: Fixtures.bytes(Fixtures.packaged + "/" + fileName))
        #expect(package.fileName == fileName)
        #expect(package.files.contains { $0.path == "Chart.yaml" })
        #expect(SemanticVersion(package.metadata.version) != nil)
        let fromFile = try ChartArchiveReader().read(path: Fixtures.packaged + "/" + fileName)
        #expect(fromFile == package)
    }

    @Test func webappCarriesEveryKindOfField() throws {
        let package = try ChartArchiveReader().read(bytes: Fixtures.bytes(Fixtures.packaged + "/webapp-2.0.0-beta.2+build.7.tgz"))
        let metadata = package.metadata
        #expect(metadata.name == "webapp")
        #expect(metadata.version == "2.0.0-beta.2+build.7")
        #expect(metadata.appVersion == "1.10")
        #expect(metadata.kubeVersion == ">=1.25.0-0")
        #expect(metadata.keywords == ["web", "shop", "yes"])
        #expect(metadata.annotations?["example.com/owner"] == "shop: storefront \"core\"")
        #expect(metadata.dependencies?.count == 2)
        #expect(metadata.dependencies?[0].importValues == [.key("defaults"), .mapping(child: "exports.labels", parent: "labels")])
        #expect(metadata.dependencies?[1].alias == "cache")
        #expect(metadata.dependencies?[1].tags == ["cache"])
        #expect(package.hasValues)
        #expect(package.files.contains { $0.path == "charts/redis-lite/templates/statefulset.yaml" })
    }

    @Test func libraryAndLegacyCharts() throws {
        let library = try ChartArchiveReader().read(bytes: Fixtures.bytes(Fixtures.packaged + "/common-lib-1.4.0.tgz"))
        #expect(library.metadata.type == "library")
        #expect(!library.hasValues)
        let legacy = try ChartArchiveReader().read(bytes: Fixtures.bytes(Fixtures.packaged + "/legacy-ingress-0.9.7.tgz"))
        #expect(legacy.metadata.apiVersion == "v1")
        #expect(legacy.metadata.deprecated == true)
        let operator_ = try ChartArchiveReader().read(bytes: Fixtures.bytes(Fixtures.packaged + "/cert-operator-2.3.1.tgz"))
        #expect(operator_.files.contains { $0.path == "crds/certificates.yaml" })
    }
}

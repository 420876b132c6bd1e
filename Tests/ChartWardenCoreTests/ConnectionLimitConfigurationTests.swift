import Foundation
import Testing
@testable import ChartWardenCore

@Suite("Connection limits in the configuration")
struct ConnectionLimitConfigurationTests {
    @Test func maxConnectionsPerAddressIsParsed() throws {
        let minimal = ConfigurationTests.minimal
        #expect(try ChartWardenConfiguration.parse(yaml: minimal).server.maxConnectionsPerAddress == 64)
        let custom = minimal.replacingOccurrences(
            of: "    privateKey: server.key", with: "    privateKey: server.key\n  maxConnectionsPerAddress: 3")
        #expect(try ChartWardenConfiguration.parse(yaml: custom).server.maxConnectionsPerAddress == 3)
    }

    @Test func maxConnectionsIsParsedStrictly() throws {
        let minimal = ConfigurationTests.minimal
        let withLimit = { (value: String) in
            minimal.replacingOccurrences(of: "    privateKey: server.key", with: "    privateKey: server.key\n  maxConnections: \(value)")
        }
        #expect(try ChartWardenConfiguration.parse(yaml: minimal).server.maxConnections == 2_048)
        #expect(try ChartWardenConfiguration.parse(yaml: withLimit("10")).server.maxConnections == 10)
        for bad in ["0", "-5", "many", "2000000"] {
            do {
                _ = try ChartWardenConfiguration.parse(yaml: withLimit(bad))
                Issue.record("maxConnections \(bad) was accepted")
            } catch {
                #expect(error.key == "server.maxConnections", "\(bad)")
            }
        }
    }
}

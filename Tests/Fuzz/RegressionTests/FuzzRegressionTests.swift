import Foundation
import FuzzSupport
import FuzzTargets
import Testing

/// Every input a fuzzer ever crashed on (Tests/Fuzz/Regressions/<fuzzer>/) goes through that
/// fuzzer's parsers again: a crash here is the old bug back. The seeds run too, as a smoke test
/// of the fuzz targets themselves.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: FuzzTarget.allCases)
    func regressionInputsDoNotCrash(_ target: FuzzTarget) {
        for input in FuzzInputs.files(at: "\(Self.fuzzDirectory)/Regressions/\(target.rawValue)") {
            target.run(FuzzInputs.bytes(of: input))
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsDoNotCrash(_ target: FuzzTarget) {
        for input in FuzzInputs.files(at: "\(Self.fuzzDirectory)/Seeds/\(target.rawValue)") {
            target.run(FuzzInputs.bytes(of: input))
        }
    }
}

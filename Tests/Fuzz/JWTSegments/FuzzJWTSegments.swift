import FuzzSupport
import FuzzTargets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.jwtSegments.run(FuzzDriver.bytes(data, size))
    return 0
}

@main
enum Fuzzer {
    static func main() { FuzzDriver.main(fuzzOneInput) }
}

import CFuzzer
import Foundation

/// The `main` of every fuzzer executable. SwiftPM links each executable with its own entry point
/// (`main` is an alias of the module's `@main`), so libFuzzer's `main` cannot be used: the
/// sanitized build (`-sanitize=fuzzer,address -DFUZZING`, see scripts/fuzz.sh) hands the
/// arguments to libFuzzer's driver instead. The plain debug build, with no libFuzzer linked,
/// runs the callback once on each file or directory given: a replay tool for crash inputs.
public enum FuzzDriver {
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    public static func main(_ callback: Callback) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
        #else
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) INPUT_FILE_OR_DIRECTORY...\n".utf8))
            exit(2)
        }
        for input in paths.flatMap(FuzzInputs.files(at:)) {
            let bytes = FuzzInputs.bytes(of: input)
            print("running \(input) (\(bytes.count) bytes)")
            _ = bytes.withUnsafeBufferPointer { callback($0.baseAddress, $0.count) }
        }
        exit(0)
        #endif
    }

    /// The bytes libFuzzer hands over, as an array (a null pointer when the input is empty).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}

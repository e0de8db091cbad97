import ArgumentParser
import Foundation
import ProfilesDomain

/// Hidden: runs PhoneNumber.normalize over `REGION<TAB>INPUT` lines (REGION
/// may be empty) from stdin, answering `OK<TAB>E164` or `ERR<TAB>reason` per
/// line, so interop/python/test_phone_oracle.py can compare it with
/// libphonenumber in one process.
struct PhoneNormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phone-normalize",
        abstract: "Normalize REGION<TAB>NUMBER lines from stdin (for the libphonenumber oracle).",
        shouldDisplay: false)

    @Option(help: "Normalize the whole input this many times and print the cost per call to stderr.")
    var `repeat` = 1

    func run() throws {
        var cases: [(String?, String)] = []
        while let line = readLine(strippingNewline: true) {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let region = parts[0].isEmpty ? nil : String(parts[0])
            cases.append((region, parts.count > 1 ? String(parts[1]) : ""))
        }
        var out = ""
        for (region, input) in cases {
            do {
                out += "OK\t" + (try PhoneNumber.normalize(input, region: region)) + "\n"
            } catch {
                out += "ERR\t" + (error.reason ?? error.message) + "\n"
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        guard `repeat` > 1 else { return }
        let start = Date()
        for _ in 0..<`repeat` {
            for (region, input) in cases { _ = try? PhoneNumber.normalize(input, region: region) }
        }
        let seconds = Date().timeIntervalSince(start)
        let calls = `repeat` * cases.count
        FileHandle.standardError.write(Data(String(format: "%d calls in %.3f s: %.2f µs per call\n",
                                                   calls, seconds, seconds * 1e6 / Double(max(calls, 1))).utf8))
    }
}

import Foundation

/// The seed of a randomized test run: `PROFILES_FUZZ_SEED` if set, else a
/// fresh random one (tests print it, so a failure can be replayed).
public enum FuzzSeed {
    public static let value: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["PROFILES_FUZZ_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }()

    /// `PROFILES_FUZZ_SCALE`: multiplies iteration counts (default 1).
    public static let scale: Int = Int(ProcessInfo.processInfo.environment["PROFILES_FUZZ_SCALE"] ?? "") ?? 1
}

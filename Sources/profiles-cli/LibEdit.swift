import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libedit's readline-compatible API, loaded at run time with `dlopen`.
///
/// Why not link it: a `systemLibrary` target needs libedit's headers
/// (Debian: libedit-dev) for SwiftPM to build the package at all, the
/// server included, so `swift run profiles-server` failed on a machine
/// without them. The shared library alone (Debian: libedit2) is on the
/// base images, and the prompt needs only a dozen of its symbols, so the
/// client looks them up itself; the package builds with nothing but
/// SQLite's headers. When the library cannot be loaded the prompt falls
/// back to plain line input (`LineEditor`).
///
/// The types below are those of libedit 3.1's `<editline/readline.h>`,
/// written out by hand (the header is exactly what is not there to
/// import). A function is a `@convention(c)` pointer from `dlsym`; a global
/// variable is the address `dlsym` gives for it.
///
/// `@unchecked Sendable`: every member is set once, in `load`, and is an
/// address in a library that is never unloaded. What those addresses point
/// to (libedit's globals) is read and written only by the interactive
/// loop's one thread, from `LineEditor` and the callbacks libedit calls
/// synchronously inside `readline()`.
struct LibEdit: @unchecked Sendable {
    /// `int (*rl_getc_function)(FILE *)`
    typealias GetcFunction = @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32
    /// `rl_completion_func_t`: `char **(const char *text, int start, int end)`
    typealias CompletionFunction = @convention(c) (UnsafePointer<CChar>?, Int32, Int32)
        -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    /// `rl_compentry_func_t`: `char *(const char *text, int state)`
    typealias CompentryFunction = @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>?

    // Functions.
    let readline: @convention(c) (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?
    let usingHistory: @convention(c) () -> Void
    let stifleHistory: @convention(c) (Int32) -> Void
    let readHistory: @convention(c) (UnsafePointer<CChar>?) -> Int32
    let writeHistory: @convention(c) (UnsafePointer<CChar>?) -> Int32
    let addHistory: @convention(c) (UnsafePointer<CChar>?) -> Int32
    let forcedUpdateDisplay: @convention(c) () -> Void
    let completionMatches: @convention(c) (UnsafePointer<CChar>?, CompentryFunction?)
        -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    // Addresses of global variables.
    /// `const char *rl_readline_name`
    let readlineName: UnsafeMutablePointer<UnsafePointer<CChar>?>
    /// `rl_completion_func_t *rl_attempted_completion_function`
    let attemptedCompletionFunction: UnsafeMutablePointer<CompletionFunction?>
    /// `int rl_attempted_completion_over`
    let attemptedCompletionOver: UnsafeMutablePointer<Int32>
    /// `char *rl_line_buffer`
    let lineBuffer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    /// `int (*rl_getc_function)(FILE *)`
    let getcFunction: UnsafeMutablePointer<GetcFunction?>

    /// Why the library is not there.
    struct LoadFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// What `dlopen` is given unless `PROFILES_CLI_LIBEDIT` names another
    /// library (a file name or a path; one that does not load forces the
    /// plain fallback, as the tests do).
    static let defaultName = "libedit.so.2"

    /// Loaded on first use, once per process.
    static let shared: Result<LibEdit, LoadFailure> = {
        let name = ProcessInfo.processInfo.environment["PROFILES_CLI_LIBEDIT"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultName
        return Result { () throws(LoadFailure) in try load(name) }
    }()

    static func load(_ name: String) throws(LoadFailure) -> LibEdit {
        // Never closed: libedit keeps terminal state and callbacks for the
        // life of the process.
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            throw LoadFailure(description: dlerror().map { String(cString: $0) } ?? "cannot load \(name)")
        }
        func symbol<T>(_ symbol: String, as type: T.Type = T.self) throws(LoadFailure) -> T {
            guard let address = dlsym(handle, symbol) else {
                throw LoadFailure(description: "\(name) has no \(symbol)")
            }
            return unsafeBitCast(address, to: T.self)
        }
        func variable<T>(_ symbol: String, as type: T.Type) throws(LoadFailure) -> UnsafeMutablePointer<T> {
            guard let address = dlsym(handle, symbol) else {
                throw LoadFailure(description: "\(name) has no \(symbol)")
            }
            return address.assumingMemoryBound(to: T.self)
        }
        return LibEdit(
            readline: try symbol("readline"),
            usingHistory: try symbol("using_history"),
            stifleHistory: try symbol("stifle_history"),
            readHistory: try symbol("read_history"),
            writeHistory: try symbol("write_history"),
            addHistory: try symbol("add_history"),
            forcedUpdateDisplay: try symbol("rl_forced_update_display"),
            completionMatches: try symbol("rl_completion_matches"),
            readlineName: try variable("rl_readline_name", as: UnsafePointer<CChar>?.self),
            attemptedCompletionFunction: try variable("rl_attempted_completion_function", as: CompletionFunction?.self),
            attemptedCompletionOver: try variable("rl_attempted_completion_over", as: Int32.self),
            lineBuffer: try variable("rl_line_buffer", as: UnsafeMutablePointer<CChar>?.self),
            getcFunction: try variable("rl_getc_function", as: GetcFunction?.self)
        )
    }
}

import Foundation
import ProfilesCLIKit
#if canImport(Glibc)
import Glibc
#endif

/// Line editing, history and Tab completion of a word list, through
/// libedit's readline-compatible API (loaded at run time: `LibEdit`).
/// While it waits for keys it also watches one descriptor (the server's
/// socket), so what the server sends unasked (pushed events, a close)
/// shows up at once, above the prompt. One per process: libedit keeps its
/// state in globals.
///
/// Without libedit (not installed, or `PROFILES_CLI_LIBEDIT` names a
/// library that does not load) it says so once on stderr and reads plain
/// lines as the terminal's cooked mode gives them: no editing keys beyond
/// the terminal's own, no history, no completion; the socket is watched
/// all the same.
final class LineEditor {
    private let historyPath: String?
    private var lastRecorded: String?

    init(historyPath: String?, historyLimit: Int) {
        self.historyPath = historyPath
        guard let libEdit else {
            if case .failure(let failure) = LibEdit.shared {
                FileHandle.standardError.write(Data("""
                    profiles-cli: no line editing, history or Tab completion: \(failure) \
                    (they need libedit, Debian's libedit2); reading plain lines.

                    """.utf8))
            }
            return
        }
        // libedit needs a UTF-8 character type to edit non-ASCII text
        // (names like "Müller"); the protocol is UTF-8 whatever the locale.
        setlocale(LC_CTYPE, "")
        if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
        // Before anything initializes libedit: it takes the key reader then.
        libEdit.getcFunction.pointee = readKey
        // ~/.editrc may configure this program under this name; libedit
        // keeps the pointer, so the copy is never freed.
        libEdit.readlineName.pointee = UnsafePointer(strdup("profiles"))
        libEdit.attemptedCompletionFunction.pointee = completeFirstWord
        libEdit.usingHistory()
        libEdit.stifleHistory(Int32(historyLimit))
        if let historyPath { _ = libEdit.readHistory(historyPath) }
    }

    /// What Tab completes the first word of a line to.
    var completionWords: [String] {
        get { EditorState.words }
        set { EditorState.words = newValue }
    }

    /// Watches `descriptor` while waiting for keys: when it is readable,
    /// `report` runs and what it returns is printed above the prompt. nil
    /// stops watching (`report` must do so at the descriptor's end).
    func watch(_ descriptor: Int32?, report: @escaping () -> String) {
        EditorState.watched = descriptor
        EditorState.report = report
    }

    /// The next line, without its newline; nil at Ctrl-D (end of input).
    func readLine(prompt: String) -> String? {
        guard let libEdit else { return plainLine(prompt: prompt) }
        guard let line = libEdit.readline(prompt) else { return nil }
        defer { free(line) }
        return String(cString: line)
    }

    /// The fallback without libedit: the prompt, then one line as the
    /// terminal's cooked mode delivers it (read byte by byte, so nothing
    /// is buffered past the newline), showing meanwhile whatever the
    /// watched descriptor brings, followed by the prompt again.
    private func plainLine(prompt: String) -> String? {
        print(prompt, terminator: "")
        fflush(nil)
        var bytes: [UInt8] = []
        while true {
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
            if let watched = EditorState.watched { fds.append(pollfd(fd: watched, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if fds.count > 1 && fds[1].revents != 0, let report = EditorState.report {
                let text = report()
                if !text.isEmpty {
                    print("\n" + text)
                    print(prompt, terminator: "")
                    fflush(nil)
                }
                continue
            }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let n = read(STDIN_FILENO, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                // Ctrl-D: the end, or (mid-line) what was typed so far.
                return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    /// Adds the line to the history and saves the file (owner-only: the
    /// lines hold customer data), unless `History` leaves it out.
    func record(_ line: String) {
        guard let libEdit, History.shouldRecord(line, previous: lastRecorded) else { return }
        lastRecorded = line
        _ = libEdit.addHistory(line)
        guard let historyPath else { return }
        _ = libEdit.writeHistory(historyPath)
        _ = chmod(historyPath, 0o600)
    }
}

/// libedit, when it loads (once per process).
private let libEdit: LibEdit? = try? LibEdit.shared.get()

/// What libedit's C callbacks below need. `nonisolated(unsafe)` is safe:
/// the interactive loop is single-threaded, and libedit calls the callbacks
/// synchronously from inside `readline()` on that same thread, the only one
/// that ever sets these.
private enum EditorState {
    nonisolated(unsafe) static var words: [String] = []
    nonisolated(unsafe) static var pending: [String] = []
    nonisolated(unsafe) static var watched: Int32?
    nonisolated(unsafe) static var report: (() -> String)?
}

/// `rl_getc_function`: the next key as a Unicode scalar (-1 at the end),
/// showing meanwhile whatever the watched descriptor brings.
private func readKey(_ stream: UnsafeMutablePointer<FILE>?) -> Int32 {
    while true {
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
        if let watched = EditorState.watched { fds.append(pollfd(fd: watched, events: Int16(POLLIN), revents: 0)) }
        if poll(&fds, nfds_t(fds.count), -1) < 0 {
            if errno == EINTR { continue }
            return -1
        }
        if fds.count > 1 && fds[1].revents != 0, let report = EditorState.report {
            // Over the prompt line, then the prompt and the typed text again.
            let text = report()
            if !text.isEmpty {
                print("\r\u{1B}[K" + text)
                fflush(nil)
                libEdit?.forcedUpdateDisplay()
            }
            continue
        }
        if fds[0].revents != 0 { return readScalar() }
    }
}

/// One UTF-8 encoded scalar from stdin; -1 at the end or on an error.
private func readScalar() -> Int32 {
    func byte() -> Int32? {
        var b: UInt8 = 0
        while true {
            let n = read(STDIN_FILENO, &b, 1)
            if n == 1 { return Int32(b) }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }
    guard let lead = byte() else { return -1 }
    let extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
    var scalar = extra == 0 ? lead : lead & (0x3F >> extra)
    for _ in 0..<extra {
        guard let next = byte() else { return -1 }
        scalar = scalar << 6 | (next & 0x3F)
    }
    return scalar
}

/// `rl_attempted_completion_function`: completes only the first word (the
/// method or dot-command); never falls back to file names.
private func completeFirstWord(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32)
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
{
    guard let libEdit else { return nil }
    libEdit.attemptedCompletionOver.pointee = 1
    guard let text, let buffer = libEdit.lineBuffer.pointee else { return nil }
    let before = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(start))
    guard before.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else { return nil }
    let prefix = String(cString: text)
    EditorState.pending = EditorState.words.filter { $0.hasPrefix(prefix) }
    return libEdit.completionMatches(text, nextCompletion)
}

/// `rl_completion_matches`' generator: one malloc'd match per call, nil
/// when there are no more (libedit frees them).
private func nextCompletion(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    guard !EditorState.pending.isEmpty else { return nil }
    return strdup(EditorState.pending.removeFirst())
}

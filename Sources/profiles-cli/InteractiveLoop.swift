import Foundation
import ProfilesCLIKit
import ProfilesProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Interactive mode (stdin is a terminal): a prompt with line editing,
/// history and method completion; each typed line becomes a request
/// (`InputParser`) whose answer is printed readably (`ResponseFormatter`).
/// One request at a time, on the main thread. A connection the server
/// closed (idle timeout, shutdown) is reported and opened again at the
/// next request.
final class InteractiveLoop {
    private let connection: ConnectionOptions
    private let palette: Palette
    private let formatter: ResponseFormatter
    private let editor: LineEditor
    private var socket: ClientSocket?
    private var methods: [String] = []
    private var nextID: Int64 = 1

    init(connection: ConnectionOptions) {
        self.connection = connection
        let environment = ProcessInfo.processInfo.environment
        palette = Palette.forStandardOutput(environment: environment)
        formatter = ResponseFormatter(palette: palette)
        editor = LineEditor(historyPath: History.path(environment: environment), historyLimit: History.limit)
    }

    private var address: String { "\(connection.resolvedHost):\(connection.resolvedPort)" }

    /// Runs until `.quit` or Ctrl-D; returns the exit status.
    func run() -> Int32 {
        let (socket, workspaces) = connection.connectOrExit()
        greet(socket, workspaces: workspaces)
        use(socket)
        while true {
            guard let line = editor.readLine(prompt: "profiles \(address)> ") else {
                say("")  // Ctrl-D leaves the cursor after the prompt
                return 0
            }
            editor.record(line)
            let input: Input
            do {
                input = try InputParser.parse(line, id: nextID)
            } catch {
                say(palette.error("error:") + " \(error)")
                continue
            }
            switch input {
            case .nothing: continue
            case .command(.quit), .command(.exit): return 0
            case .command(.help): say(HelpText.text(palette: palette))
            case .command(.methods):
                say(methods.isEmpty ? palette.notice("the server did not list its methods") : methods.joined(separator: "\n"))
            case .request(let request):
                if request.usesClientID { nextID += 1 }
                send(request)
            }
        }
    }

    /// `hello` fills the completion list; the banner says what answered
    /// and, after `auth`, which workspaces the token may use.
    private func greet(_ socket: ClientSocket, workspaces: [String]?) {
        let hello = try? Handshake.hello(socket)
        if case .array(let names)? = hello?["methods"] {
            methods = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        editor.completionWords = methods + DotCommand.allCases.map { "." + $0.rawValue }
        var server = "a server"
        if case .string(let name)? = hello?["server"] { server = name }
        if case .string(let version)? = hello?["version"] { server += " \(version)" }
        say("Connected to \(server) at \(address). Tab completes methods; .help for help, .quit or Ctrl-D to leave.")
        if let workspaces {
            say("Authenticated for workspaces: \(workspaces == ["*"] ? "all" : workspaces.joined(separator: ", ")).")
        }
    }

    /// Makes `socket` the connection, watched while the prompt waits.
    private func use(_ socket: ClientSocket) {
        self.socket = socket
        editor.watch(socket.fd) { [unowned self] in self.unaskedLines() }
    }

    private func send(_ request: OutgoingRequest) {
        if socket?.hasPendingInput() == true {
            let text = unaskedLines()
            if !text.isEmpty { say(text) }
        }
        guard let socket = socket ?? reconnect() else { return }
        guard socket.sendAll(Array((request.line + "\n").utf8)) else {
            say(palette.notice(lost("the connection to \(address) broke before the request was sent")))
            return
        }
        guard request.expectsAnswer else {
            say(palette.dim("(a notification: the server answers nothing)"))
            return
        }
        // Pushed notifications may come before the answer.
        while let line = socket.readLine() {
            say(formatter.format(line: line))
            if case .notification = ServerLine(line) { continue }
            return
        }
        say(palette.notice(lost("the connection to \(address) closed before the answer came; the request may or may not have run")))
    }

    /// What the server sent unasked (pushed notifications; `overloaded`
    /// before a close) and its close, as text to show.
    private func unaskedLines() -> String {
        var shown: [String] = []
        while let socket, socket.hasPendingInput() {
            guard let line = socket.readLine() else {
                shown.append(palette.notice(lost("the server closed the connection (idle timeout or shutdown); the next request reconnects")))
                break
            }
            if case .notification = ServerLine(line) {
                shown.append(formatter.format(line: line))
            } else {
                shown.append(palette.notice("server says:") + " " + formatter.format(line: line))
            }
        }
        return shown.joined(separator: "\n")
    }

    /// Drops the connection; returns `message` to show.
    private func lost(_ message: String) -> String {
        socket?.close()
        socket = nil
        editor.watch(nil) { "" }
        return message
    }

    private func reconnect() -> ClientSocket? {
        say(palette.notice("reconnecting to \(address)…"))
        do {
            let socket = try connection.connect().socket
            use(socket)
            return socket
        } catch {
            say(palette.error("error:") + " \(error)")
            return nil
        }
    }

    private func say(_ text: String) {
        print(text)
        fflush(nil)  // every C stream, stdout among them
    }
}

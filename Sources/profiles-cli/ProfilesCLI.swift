import ArgumentParser
import Foundation
import ProfilesCLIKit
import ProfilesProtocol
#if canImport(Glibc)
import Glibc
#endif

@main
struct ProfilesCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles-cli",
        abstract: "A client for profiles-server: a prompt on a terminal, netcat-style otherwise.",
        discussion: """
            With no subcommand and standard input a terminal, an interactive prompt with line \
            editing, history and method completion (type .help there). Otherwise each line of \
            standard input is sent as it is and each answer line is printed in order (pipe mode). \
            Exit status: 0 when every answer was a result, 1 when any was an error (or the token \
            was refused), 2 when the server cannot be reached.
            """,
        subcommands: [PipeMode.self, CallMode.self, ImportMode.self, ExportMode.self],
        defaultSubcommand: PipeMode.self
    )

    /// The same option group as the subcommands': argument-parser parses
    /// the root's options wherever they stand on the command line (before
    /// or after the subcommand's name) and hands the subcommands' group of
    /// the same type this decoded value. So `--port P call ping`, `call
    /// --port P ping` and `--port P` (pipe mode) all work, and both the
    /// root's help and each subcommand's list the options.
    @OptionGroup var connection: ConnectionOptions
}

/// Sends stdin line by line, prints every answer in order.
struct PipeMode: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipe", abstract: "Send stdin lines, print answer lines (the default; a prompt when stdin is a terminal).")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        if isatty(STDIN_FILENO) == 1 {
            Glibc.exit(InteractiveLoop(connection: connection).run())
        }
        let socket = connection.connectOrExit().socket
        let sawError = PipeLoop(socket: socket).run()
        Glibc.exit(sawError ? 1 : 0)
    }
}

/// `profiles-cli call METHOD [KEY=VALUE … | JSON-PARAMS]`: one request, its
/// result printed.
struct CallMode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call one method and print its result.",
        discussion: """
            Params as at the prompt: KEY=VALUE words, a VALUE being JSON when it parses as JSON \
            (42, true, null, "text", [1,2], {"a":1}) and text otherwise, or one JSON object. \
            The shell takes away quotes first, so quote a word whose VALUE is a JSON string or \
            holds blanks, braces or brackets: call profile.create 'name="42"' \
            'fields={"tier":"gold"}'.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Method name, e.g. profile.get") var method: String
    @Argument(help: ArgumentHelp("Params: KEY=VALUE words (id=1 name=\"Peter B.\"), or one JSON object ('{\"id\":1}').",
                                 valueName: "params"))
    var params: [String] = []

    /// The params text to send: the JSON object as it was given, or the
    /// encoded KEY=VALUE words (nil: none).
    private var paramsJSON: String? {
        get throws {
            if params.isEmpty { return nil }
            if params.count == 1, params[0].trimmingCharacters(in: .whitespaces).hasPrefix("{") {
                let parsed = try? JSONSerialization.jsonObject(with: Data(params[0].utf8))
                guard parsed is [String: Any] else {
                    throw ValidationError("the params are not a valid JSON object: \(params[0])")
                }
                return params[0]
            }
            let object: JSONValue
            do {
                object = try InputParser.params(words: params, method: method)
            } catch {
                throw ValidationError(error.description)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(object), as: UTF8.self)
        }
    }

    func validate() throws {
        _ = try paramsJSON
    }

    func run() throws {
        let socket = connection.connectOrExit().socket
        let line = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\(jsonString(method)),\"params\":\(try paramsJSON ?? "{}")}\n"
        guard socket.sendAll(Array(line.utf8)), let answer = socket.readLine() else {
            FileHandle.standardError.write(Data("profiles-cli: the server closed the connection without answering\n".utf8))
            Glibc.exit(2)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any] else {
            FileHandle.standardError.write(Data("profiles-cli: unreadable answer: \(String(decoding: answer, as: UTF8.self))\n".utf8))
            Glibc.exit(1)
        }
        let pretty = isatty(STDOUT_FILENO) == 1
        if let error = object["error"] {
            print(render(error, pretty: pretty))
            Glibc.exit(1)
        }
        print(render(object["result"] ?? NSNull(), pretty: pretty))
        Glibc.exit(0)
    }

    private func jsonString(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), as: UTF8.self)
    }

    private func render(_ value: Any, pretty: Bool) -> String {
        var options: JSONSerialization.WritingOptions = [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: options) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}

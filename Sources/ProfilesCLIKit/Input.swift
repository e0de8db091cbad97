/// What one typed line of the interactive client means.
public enum Input: Equatable, Sendable {
    /// A blank line: nothing to do.
    case nothing
    /// A dot-command (`.help`, `.quit`…), handled by the client itself.
    case command(DotCommand)
    /// A line to send to the server.
    case request(OutgoingRequest)
}

/// The interactive client's own commands, typed with a leading dot.
public enum DotCommand: String, CaseIterable, Sendable {
    case help, methods, quit, exit

    /// What `.help` says about each.
    public var summary: String {
        switch self {
        case .help: "this text"
        case .methods: "the methods the server offers (from hello)"
        case .quit: "leave (also .exit, Ctrl-D or Ctrl-C)"
        case .exit: "leave"
        }
    }
}

/// One JSON-RPC line ready to send.
public struct OutgoingRequest: Equatable, Sendable {
    /// The line without its `\n`.
    public var line: String
    /// False for a notification (or a batch of only notifications): the
    /// server answers nothing, so the client must not wait.
    public var expectsAnswer: Bool
    /// True when the client filled in the id, so it moves on to the next.
    public var usesClientID: Bool

    public init(line: String, expectsAnswer: Bool, usesClientID: Bool) {
        self.line = line
        self.expectsAnswer = expectsAnswer
        self.usesClientID = usesClientID
    }
}

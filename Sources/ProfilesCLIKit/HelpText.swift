/// What `.help` prints.
public enum HelpText {
    public static func text(palette: Palette) -> String {
        let commands = DotCommand.allCases.filter { $0 != .exit }
            .map { "  " + palette.key(("." + $0.rawValue).padding(toLength: 10, withPad: " ", startingAt: 0)) + $0.summary }
        return """
            Type a request and press Enter; its answer is printed below it.

              \(palette.key("ping"))                                    a method alone: no params
              \(palette.key("profile.get id=1"))                        KEY=VALUE words: a VALUE is JSON when it parses
              \(palette.key("profile.create name=\"Peter B.\" contact_ids=[1,2]"))
                                                      (42, true, null, "text", [1,2], {"a":1}), else text;
                                                      'single quotes' always mean text
              \(palette.key("profile.get {\"id\":1}"))                    METHOD and the params as one JSON object
              \(palette.key("{\"id\":7,\"method\":\"ping\"}"))                a raw JSON-RPC line (or a [batch]), sent as it is

            \(commands.joined(separator: "\n"))

            Tab completes method names. History (↑, ↓, Ctrl-R) is kept in ~/\(History.fileName):
            the last \(History.limit) lines, without auth lines and lines typed with a leading space.
            """
    }
}

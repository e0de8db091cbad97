import Foundation
import ProfilesProtocol

/// An answer line as people read it: a result as pretty JSON; an error as
/// `error CODE TYPE: MESSAGE (detail: value, …)`; each answer of a batch
/// under its id.
public struct ResponseFormatter: Sendable {
    public let palette: Palette
    private let renderer: JSONRenderer

    public init(palette: Palette) {
        self.palette = palette
        self.renderer = JSONRenderer(palette: palette)
    }

    /// A line as it came: an answer (or a batch of them), a pushed
    /// notification, or text that is not JSON.
    public func format(line: some Collection<UInt8>) -> String {
        switch ServerLine(line) {
        case .unreadable(let text): palette.error("unreadable answer:") + " " + text
        case .notification(let method, let params): format(notification: method, params: params)
        case .answer(.array(let answers)):
            answers.map { answer in
                palette.dim("id \(answer["id"].map(JSONRenderer.compact) ?? "?"):") + "\n" + format(answer: answer)
            }.joined(separator: "\n")
        case .answer(let answer): format(answer: answer)
        }
    }

    /// A pushed notification on one line: `← event {"seq":12,…}`.
    public func format(notification method: String, params: JSONValue?) -> String {
        palette.notice("← \(method)") + (params.map { " " + JSONRenderer.compact($0) } ?? "")
    }

    /// One response object: its result, or its error.
    public func format(answer: JSONValue) -> String {
        if let error = answer["error"] { return format(error: error) }
        if let result = answer["result"] { return renderer.render(result) }
        return renderer.render(answer)
    }

    /// `error -32602 invalid_params: invalid param 'name': … (field: name)`.
    /// Every `data` member but `type` is shown, except a `reason` the
    /// message already says.
    public func format(error: JSONValue) -> String {
        let code = error["code"].map(JSONRenderer.compact) ?? "?"
        var head = "error \(code)"
        if case .string(let type)? = error["data"]?["type"] { head += " \(type)" }
        let message: String
        if case .string(let text)? = error["message"] { message = text } else { message = "(no message)" }
        var line = palette.error(head + ":") + " " + message
        if case .object(let data)? = error["data"] {
            let details = data.keys.sorted().compactMap { key -> String? in
                guard key != "type", let value = data[key] else { return nil }
                if key == "reason", case .string(let reason) = value, message.contains(reason) { return nil }
                if case .string(let text) = value { return "\(key): \(text)" }
                return "\(key): \(JSONRenderer.compact(value))"
            }
            if !details.isEmpty { line += " " + palette.dim("(" + details.joined(separator: ", ") + ")") }
        }
        return line
    }
}

import Foundation
import ProfilesCLIKit
import ProfilesProtocol

/// Calls the client makes for itself on a fresh connection. Their ids are
/// strings, so they never collide with the numbers of typed requests.
enum Handshake {
    /// `auth` with the token (Protocol.md, "Authentication"); returns the
    /// workspaces it grants.
    static func authenticate(_ socket: ClientSocket, token: String) throws(ConnectionOptions.Failure) -> [String] {
        let answer = try call(socket, id: "cli-auth", method: "auth", params: ["token": .string(token)])
        if let error = answer["error"] {
            throw .rejected(ResponseFormatter(palette: .plain).format(error: error))
        }
        guard case .array(let granted)? = answer["result"]?["workspaces"] else { return [] }
        return granted.compactMap { if case .string(let name) = $0 { name } else { nil } }
    }

    /// `hello`'s result (server, version, methods…), nil if it failed.
    static func hello(_ socket: ClientSocket) throws(ConnectionOptions.Failure) -> JSONValue? {
        try call(socket, id: "cli-hello", method: "hello")["result"]
    }

    private static func call(_ socket: ClientSocket, id: String, method: String,
                             params: JSONValue? = nil) throws(ConnectionOptions.Failure) -> JSONValue {
        let line = RequestLine.encode(id: .string(id), method: method, params: params) + "\n"
        guard socket.sendAll(Array(line.utf8)), let answer = socket.readLine() else {
            throw .unreachable("the server closed the connection")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(answer)) else {
            throw .unreachable("unreadable answer to \(method): \(String(decoding: answer, as: UTF8.self))")
        }
        return value
    }
}

import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the server is and how to sign in: flags first, then
/// PROFILES_HOST / PROFILES_PORT / PROFILES_TOKEN. Shared by every mode.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server host. [env: PROFILES_HOST] (default: 127.0.0.1)")
    var host: String?
    @Option(help: "Server port. [env: PROFILES_PORT] (default: 7411)")
    var port: Int?
    @Option(help: "Token to send with auth right after connecting. [env: PROFILES_TOKEN]")
    var token: String?

    var resolvedHost: String { host ?? ProcessInfo.processInfo.environment["PROFILES_HOST"] ?? "127.0.0.1" }
    var resolvedPort: Int { port ?? ProcessInfo.processInfo.environment["PROFILES_PORT"].flatMap(Int.init) ?? 7411 }
    var resolvedToken: String? {
        token ?? ProcessInfo.processInfo.environment["PROFILES_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    enum Failure: Error, CustomStringConvertible {
        /// No connection, or it closed during the handshake.
        case unreachable(String)
        /// The server refused the token (the formatted error).
        case rejected(String)

        var description: String {
            switch self {
            case .unreachable(let reason): reason
            case .rejected(let error): "auth failed: \(error)"
            }
        }
    }

    /// Connects and, with a token, authenticates; returns the socket and
    /// the workspaces the token grants (nil without a token).
    func connect() throws(Failure) -> (socket: ClientSocket, workspaces: [String]?) {
        let socket: ClientSocket
        do {
            socket = try ClientSocket.connect(host: resolvedHost, port: resolvedPort)
        } catch {
            throw .unreachable("cannot connect to \(resolvedHost):\(resolvedPort): \(error)")
        }
        guard let token = resolvedToken else { return (socket, nil) }
        do {
            return (socket, try Handshake.authenticate(socket, token: token))
        } catch {
            socket.close()
            throw error
        }
    }

    /// `connect()`, or exit with a message on stderr: status 2 when the
    /// server cannot be reached, 1 when it refuses the token.
    func connectOrExit() -> (socket: ClientSocket, workspaces: [String]?) {
        do {
            return try connect()
        } catch {
            FileHandle.standardError.write(Data("profiles-cli: \(error)\n".utf8))
            if case .rejected = error { Glibc.exit(1) }
            Glibc.exit(2)
        }
    }
}

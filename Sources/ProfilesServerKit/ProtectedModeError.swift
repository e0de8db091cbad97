/// Refusal to serve a non-loopback address without authentication.
public struct ProtectedModeError: Error, CustomStringConvertible {
    public let host: String
    public var description: String {
        "refusing to listen on \(host) without authentication: anyone who can reach it could read and change every "
            + "profile. Give --tokens FILE (or PROFILES_TOKENS) to require tokens, bind a loopback address such as "
            + "127.0.0.1, or pass --insecure if something else protects this port."
    }
}

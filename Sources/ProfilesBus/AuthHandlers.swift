import ProfilesDomain

/// `auth {"token"}`: unlocks a connection when the server has a token file.
extension CommandBus.Registry {
    /// After this many failed attempts the connection is closed.
    static let maxAuthFailures = 3

    mutating func registerAuthMethods(tokens: TokenFile?) {
        register("auth", MethodSpec("Unlocks the connection with a token of the server's token file; the connection closes after 3 failures.",
                                   params: [.required("token", Schema.string)],
                                   result: Schema.record(["workspaces": Schema.array(Schema.string)]), errors: [.unauthenticated]),
                 scoped: false, beforeAuth: true) { p, ctx in
            guard let tokens else {
                // No token file: everything is open; say so rather than fail.
                _ = try p.string("token")
                return AuthResult(workspaces: ["*"])
            }
            let session = ctx.session
            // Every failed call counts, whatever made it fail, and once the
            // connection is to close no token is accepted any more (the
            // batch runner does not even run the calls left on the line).
            func failed() -> String {
                session.failedAuthAttempts += 1
                if session.failedAuthAttempts >= Self.maxAuthFailures { session.closeRequested = true }
                return session.closeRequested ? "; closing after \(Self.maxAuthFailures) failed attempts" : ""
            }
            guard !session.closeRequested else {
                throw DomainError(kind: .unauthenticated, message: "the connection is closing after \(Self.maxAuthFailures) failed attempts")
            }
            let token: String
            do {
                token = try p.string("token")
            } catch {
                _ = failed()
                throw error
            }
            guard let grant = tokens.grant(for: token) else {
                throw DomainError(kind: .unauthenticated, message: "invalid token" + failed())
            }
            session.authenticated = true
            session.allowedWorkspaces = grant.workspaces
            if let workspaces = grant.workspaces, workspaces.count == 1 {
                session.defaultWorkspace = workspaces.first!
            } else {
                session.defaultWorkspace = Validation.defaultWorkspace
            }
            return AuthResult(workspaces: grant.workspaces.map { $0.sorted() } ?? ["*"])
        }
    }
}

struct AuthResult: Encodable, Sendable {
    let workspaces: [String]
}

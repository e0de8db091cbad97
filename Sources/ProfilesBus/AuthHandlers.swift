import ProfilesDomain

/// `auth {"token"}`: unlocks a connection when the server has a token file.
extension CommandBus.Registry {
    /// After this many failed attempts the connection is closed.
    static let maxAuthFailures = 3

    mutating func registerAuthMethods(tokens: TokenFile?) {
        register("auth", params: ["token"], scoped: false, beforeAuth: true) { p, ctx in
            let token = try p.string("token")
            guard let tokens else {
                // No token file: everything is open; say so rather than fail.
                return AuthResult(workspaces: ["*"])
            }
            let session = ctx.session
            guard let grant = tokens.grant(for: token) else {
                session.failedAuthAttempts += 1
                if session.failedAuthAttempts >= Self.maxAuthFailures { session.closeRequested = true }
                throw DomainError(kind: .unauthenticated, message: "invalid token"
                    + (session.closeRequested ? "; closing after \(Self.maxAuthFailures) failed attempts" : ""))
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

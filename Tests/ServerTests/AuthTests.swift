import Foundation
import ProfilesBus
import ProfilesServerKit
import ProfilesTestSupport
import Testing

/// Tokens and workspaces (SPEC §5), over real sockets.
@Suite struct AuthTests {
    static let acme = "acme-token-0123456789"
    static let both = "both-token-0123456789"
    static let admin = "admin-token-012345678"

    private func server() throws -> TestServer {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try """
            # one workspace: it becomes the default
            \(Self.acme) acme
            \(Self.both)   acme,globex   # two workspaces
            \(Self.admin) *
            """.write(to: file, atomically: true, encoding: .utf8)
        return try TestServer { $0.tokensPath = file.path }
    }

    @Test func onlyPingHelloAndAuthBeforeAuthenticating() throws {
        let s = try server(); defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("ping").string == "pong")
        #expect(try c.result("hello")["auth_required"].bool == true)
        for method in ["profile.list", "stats", "health", "field.list", "no.such.method.but.auth.first"] {
            let error = try c.call(method)["error"]
            // Unknown methods are unknown whatever the auth state.
            let expected = method.hasPrefix("no.such") ? -32601 : -32001
            #expect(error["code"].int == expected, "\(method): \(error)")
        }
        let error = try c.error("profile.create", ["name": "x"])
        #expect(error["data"]["type"].string == "unauthenticated")
    }

    @Test func singleWorkspaceTokenMakesItTheDefault() throws {
        let s = try server(); defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("auth", ["token": Self.acme])["workspaces"].array.map(\.string) == ["acme"])
        let created = try c.result("profile.create", ["name": "In acme"])
        // Visible in acme, invisible from the admin's default workspace.
        let admin = try s.client()
        _ = try admin.result("auth", ["token": Self.admin])
        #expect(try admin.result("profile.get", ["id": created["id"].int!, "workspace": "acme"])["name"].string == "In acme")
        #expect(try admin.error("profile.get", ["id": created["id"].int!])["code"].int == -32004)
        // Naming a workspace the token lacks is forbidden.
        let forbidden = try c.error("profile.list", ["workspace": "globex"])
        #expect(forbidden["code"].int == -32003)
        #expect(forbidden["data"]["type"].string == "forbidden")
    }

    @Test func multiWorkspaceTokenMustNameOneOfItsWorkspaces() throws {
        let s = try server(); defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("auth", ["token": Self.both])["workspaces"].array.map(\.string) == ["acme", "globex"])
        #expect(try c.error("profile.list")["code"].int == -32003, "'default' is not among the token's workspaces")
        #expect(try c.result("profile.list", ["workspace": "globex"])["items"].array.isEmpty)
        #expect(try c.error("profile.list", ["workspace": "initech"])["code"].int == -32003)
    }

    @Test func wildcardTokenReachesEveryWorkspace() throws {
        let s = try server(); defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("auth", ["token": Self.admin])["workspaces"].array.map(\.string) == ["*"])
        for workspace in ["default", "acme", "anything-else"] {
            #expect(try c.result("profile.list", ["workspace": workspace])["items"].array.isEmpty)
        }
    }

    @Test func threeFailedAttemptsCloseTheConnection() throws {
        let s = try server(); defer { s.stop() }
        let c = try s.client()
        for attempt in 1...3 {
            let error = try c.error("auth", ["token": "wrong-token-\(attempt)-0123456789"])
            #expect(error["code"].int == -32001)
        }
        #expect(try c.readEOF(), "the connection closes after the third failure")
        // Others are unaffected, and a good token still works.
        let other = try s.client()
        #expect(try other.result("auth", ["token": Self.acme])["workspaces"].array.count == 1)
        // A prefix of a real token is not a token.
        let prefix = try s.client()
        #expect(try prefix.error("auth", ["token": String(Self.acme.dropLast())])["code"].int == -32001)
    }

    @Test func malformedTokenFileNamesTheLine() throws {
        let cases: [(String, Int)] = [
            ("good-token-0123456789 acme\nshort acme\n", 2),
            ("# comment\n\ngood-token-0123456789\n", 3),
            ("good-token-0123456789 Not_A_Workspace\n", 1),
            ("good-token-0123456789 acme\ngood-token-0123456789 globex\n", 2),
        ]
        for (text, line) in cases {
            #expect {
                _ = try TokenFile(text: text)
            } throws: { error in
                (error as? TokenFile.Malformed)?.line == line
            }
        }
        #expect(throws: TokenFile.Malformed.self) { _ = try TokenFile(text: "# only comments\n") }
        #expect(throws: TokenFile.Malformed.self) { _ = try TestServer { $0.tokensPath = "/nonexistent/tokens" } }
    }

    @Test func authWithoutATokenFileIsHarmless() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("hello")["auth_required"].bool == false)
        #expect(try c.result("auth", ["token": "anything"])["workspaces"].array.map(\.string) == ["*"])
        #expect(try c.error("auth")["data"]["field"].string == "token")
    }
}

/// Protected mode (SPEC §5): no tokens means loopback only.
@Suite struct ProtectedModeTests {
    @Test func nonLoopbackWithoutTokensIsRefused() throws {
        #expect(throws: ProtectedModeError.self) { _ = try TestServer { $0.host = "0.0.0.0" } }
    }

    @Test func insecureOrTokensAllowNonLoopback() throws {
        let insecure = try TestServer { $0.host = "0.0.0.0"; $0.insecure = true }
        insecure.stop()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try "some-token-0123456789 *\n".write(to: file, atomically: true, encoding: .utf8)
        let tokens = try TestServer { $0.host = "0.0.0.0"; $0.tokensPath = file.path }
        tokens.stop()
    }
}

/// Graceful shutdown (SPEC §10): requests arriving while the server drains
/// are answered `overloaded`, then the connection closes.
@Suite struct DrainRefusalTests {
    @Test func requestsDuringDrainGetOverloadedThenClose() throws {
        let s = try TestServer { $0.drainGrace = 3 }
        let c = try s.client()
        #expect(try c.result("ping").string == "pong")
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            s.stop()
            stopped.signal()
        }
        var sawOverloaded = false
        let deadline = Date().addingTimeInterval(10)
        while !sawOverloaded && Date() < deadline {
            let answer = try c.call("ping")
            if let error = answer["error"].object {
                #expect(JSONObject(error)["code"].int == -32029)
                #expect(JSONObject(error)["data"]["type"].string == "overloaded")
                sawOverloaded = true
            } else {
                #expect(answer["result"].string == "pong")
            }
        }
        #expect(sawOverloaded)
        #expect(try c.readEOF(), "the connection closes after the grace period")
        #expect(stopped.wait(timeout: .now() + 10) == .success)
    }
}

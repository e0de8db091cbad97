import Foundation
import ProfilesTestSupport
import Testing

/// `stats` with a token limited to one workspace shows nothing of the
/// other tenants; a `*` token sees the whole server.
@Suite struct StatsScopeTests {
    static let acme = "acme-token-0123456789"
    static let admin = "admin-token-012345678"

    @Test func aWorkspaceTokenSeesOnlyItsWorkspace() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "\(Self.acme) acme\n\(Self.admin) *\n".write(to: file, atomically: true, encoding: .utf8)
        let s = try TestServer { $0.tokensPath = file.path }
        defer { s.stop() }

        let admin = try s.client()
        _ = try admin.result("auth", ["token": Self.admin])
        for name in ["a", "b", "c"] { _ = try admin.result("profile.create", ["name": name, "workspace": "globex"]) }
        _ = try admin.result("profile.create", ["name": "mine", "workspace": "acme"])

        let tenant = try s.client()
        _ = try tenant.result("auth", ["token": Self.acme])
        let own = try tenant.result("stats")
        #expect(own["scope"].string == "workspace")
        #expect(own["workspace"].string == "acme")
        #expect(own["entities"]["profiles"].int == 1)
        for member in ["connections", "requests", "database"] {
            #expect(!own[member].exists, "a workspace token sees \(member): \(own)")
        }
        let forbidden = try tenant.call("stats", ["workspace": "globex"])
        #expect(forbidden["error"]["data"]["type"].string == "forbidden")

        let all = try admin.result("stats", ["workspace": "globex"])
        #expect(all["scope"].string == "server")
        #expect(all["entities"]["profiles"].int == 3)
        #expect(all["connections"]["current"].int == 2)
        #expect((all["requests"]["total"].int ?? 0) > 0)
        #expect(all["database"]["size_bytes"].exists)
    }
}

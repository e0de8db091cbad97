import Foundation
import ProfilesTestSupport
import Testing

/// `rpc.discover` (SPEC §8 "Discovery") over a real socket: the document
/// and the methods agree. Its answers are checked against the result
/// schemas by `jsonschema` in interop/python/test_openrpc.py.
@Suite struct DiscoveryTests {
    /// The described methods by name.
    private func methods(_ c: LineClient) throws -> [String: JSONObject] {
        let document = try c.result("rpc.discover")
        var byName: [String: JSONObject] = [:]
        for method in document["methods"].array {
            let name = try #require(method["name"].string)
            #expect(byName[name] == nil, "\(name) is described twice")
            byName[name] = method
        }
        return byName
    }

    private func paramNames(_ method: JSONObject) -> [String] {
        method["params"].array.compactMap { $0["name"].string }
    }

    @Test func describesExactlyTheMethodsHelloLists() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let hello = try c.result("hello")
        let offered = hello["methods"].array.compactMap(\.string)
        #expect(offered.contains("rpc.discover"))
        let document = try c.result("rpc.discover")
        #expect(document["openrpc"].string == "1.2.6")
        #expect(document["info"]["title"].string == "Profiles")
        #expect(document["info"]["version"].string == hello["version"].string)
        #expect(document["methods"].array.compactMap { $0["name"].string } == offered)
    }

    @Test func everyDescribedParamIsAcceptedAndNoOtherIs() throws {
        let s = try TestServer(); defer { s.stop() }
        let methods = try methods(try s.client())
        let everyName = Set(methods.values.flatMap(paramNames)).union(["zz_not_described"])
        var probes = 0
        for (name, method) in methods.sorted(by: { $0.key < $1.key }) {
            // A connection per method: a subscription must not push into
            // the next method's answers.
            let c = try s.client()
            let described = Set(paramNames(method))
            for param in described.sorted() {
                // `null` counts as absent, so this checks the name only.
                let answer = try c.call(name, [param: NSNull()])
                let reason = answer["error"]["data"]["reason"].string ?? ""
                #expect(!reason.hasPrefix("is not a parameter"), "\(name) refuses its described param \(param): \(answer)")
                probes += 1
            }
            for param in everyName.subtracting(described).sorted() {
                let error = try c.error(name, [param: 1])
                #expect(error["code"].int == -32602, "\(name)(\(param)): \(error)")
                #expect(error["data"]["field"].string == param)
                #expect(error["data"]["reason"].string == "is not a parameter of \(name)", "\(name)(\(param)): \(error)")
                probes += 1
            }
        }
        #expect(probes > 500, "only \(probes) probes")
    }

    @Test func methodsOfAKindCarryTheirCommonParamsAndErrors() throws {
        let s = try TestServer(); defer { s.stop() }
        let methods = try methods(try s.client())
        let system: Set = ["ping", "hello", "auth", "health", "rpc.discover"]
        let writes: Set = ["profile.create", "profile.update", "profile.delete", "profile.attach_contact", "profile.detach_contact",
                           "profile.merge", "profile.unmerge", "profile.erase", "contact.upsert", "contact.update", "contact.delete", "note.add",
                           "note.update", "note.delete", "field.define", "field.update", "field.delete", "moment.create",
                           "moment.update"]
        for (name, method) in methods {
            let params = paramNames(method)
            let errors = method["errors"].array.compactMap { $0["data"]["type"].string }
            #expect(method["paramStructure"].string == "by-name", "\(name)")
            #expect(method["result"]["schema"].object != nil, "\(name) has no result schema")
            #expect(errors.contains("invalid_params") && errors.contains("internal"), "\(name): \(errors)")
            #expect(params.contains("workspace") == !system.contains(name), "\(name): \(params)")
            #expect(errors.contains("forbidden") == !system.contains(name), "\(name): \(errors)")
            #expect(params.contains("idempotency_key") == writes.contains(name), "\(name): \(params)")
            #expect(errors.contains("storage_full") == writes.contains(name), "\(name): \(errors)")
            for error in method["errors"].array {
                #expect(error["code"].int != nil && error["message"].string != nil, "\(name): \(error)")
            }
        }
    }

    /// `x-before-auth` says which methods work before `auth`; an
    /// auth-required server agrees with it method by method.
    @Test func beforeAuthIsWhatTheServerEnforces() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try "discovery-token-0123456789 *\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let s = try TestServer { $0.tokensPath = file.path }; defer { s.stop() }
        let c = try s.client()
        let methods = try methods(c)
        var open: [String] = []
        for (name, method) in methods.sorted(by: { $0.key < $1.key }) {
            let beforeAuth = method["x-before-auth"].bool == true
            if beforeAuth { open.append(name) }
            let errors = method["errors"].array.compactMap { $0["data"]["type"].string }
            // `auth` itself answers unauthenticated for a wrong token.
            #expect(errors.contains("unauthenticated") == (!beforeAuth || name == "auth"), "\(name): \(errors)")
            guard name != "auth" else { continue }
            let answer = try c.call(name)
            #expect((answer["error"]["data"]["type"].string == "unauthenticated") == !beforeAuth, "\(name): \(answer)")
        }
        #expect(open == ["auth", "hello", "ping", "rpc.discover"])
    }

    @Test func resultSchemasReferToDescribedComponents() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let document = try c.result("rpc.discover")
        let schemas = try #require(document["components"]["schemas"].object)
        var refs: [String] = []
        func collect(_ value: Any?) {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String { refs.append(ref) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document.raw)
        #expect(refs.count > 50)
        for ref in Set(refs) {
            let prefix = "#/components/schemas/"
            #expect(ref.hasPrefix(prefix) && schemas[String(ref.dropFirst(prefix.count))] != nil, "\(ref) names no schema")
        }
        let errors = try #require(document["components"]["errors"].object)
        #expect(Set(errors.keys) == ["invalid_params", "internal", "unauthenticated", "forbidden", "not_found", "conflict",
                                     "storage_full", "overloaded", "unavailable"])
    }
}

import Foundation
import ProfilesTestSupport
import Testing

// Helpers shared by the domain suites (Contact/Profile/Field/Note/Moment/
// Validation/AgentStory tests). Names are prefixed or specific so they do
// not collide with the protocol suites' helpers.

/// The `data.type` SPEC §4 pairs with each code.
private let typeOfCode: [Int: String] = [
    -32602: "invalid_params", -32004: "not_found", -32009: "conflict", -32603: "internal",
    -32601: "method_not_found", -32600: "invalid_request", -32700: "parse_error",
]

/// Checks an error object (as `LineClient.error` returns it): its code, the
/// matching `data.type`, a message, and `data.field` / `data.reason` when
/// given. Every `-32602` must name a field and give a reason.
func expectRPCError(_ error: JSONObject, _ code: Int, field: String? = nil, reason: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(error["code"].int == code, "code in \(error)", sourceLocation: sourceLocation)
    #expect(error["data"]["type"].string == typeOfCode[code], "data.type in \(error)", sourceLocation: sourceLocation)
    #expect(!(error["message"].string ?? "").isEmpty, "message in \(error)", sourceLocation: sourceLocation)
    if code == -32602 {
        #expect(error["data"]["field"].string != nil, "data.field in \(error)", sourceLocation: sourceLocation)
        #expect(!(error["data"]["reason"].string ?? "").isEmpty, "data.reason in \(error)", sourceLocation: sourceLocation)
    }
    if let field {
        #expect(error["data"]["field"].string == field, "data.field in \(error)", sourceLocation: sourceLocation)
    }
    if let reason {
        #expect(error["data"]["reason"].string == reason, "data.reason in \(error)", sourceLocation: sourceLocation)
    }
}

/// Shorthand: the call fails with `-32602` naming `field`.
func expectInvalidParam(_ client: LineClient, _ method: String, _ params: [String: Any], field: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
    let error = try client.error(method, params)
    expectRPCError(error, -32602, field: field, sourceLocation: sourceLocation)
}

/// Shorthand: the call fails with `-32004`.
func expectNotFound(_ client: LineClient, _ method: String, _ params: [String: Any],
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    let error = try client.error(method, params)
    expectRPCError(error, -32004, sourceLocation: sourceLocation)
}

/// True when `text` looks like SPEC §6's timestamps: `2026-11-29T10:47:35.123Z`.
func isRFC3339Millis(_ text: String?) -> Bool {
    guard let text else { return false }
    let pattern = #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#
    return text.range(of: pattern, options: .regularExpression) != nil
}

/// Spins (no sleep) until the wall clock has moved to a later millisecond,
/// so that the next write gets a strictly later timestamp than the last.
func waitForNextMillisecond() {
    let start = Int64(Date().timeIntervalSince1970 * 1000)
    while Int64(Date().timeIntervalSince1970 * 1000) <= start + 1 {}
}

extension LineClient {
    /// `contact.upsert`, returning the contact.
    func makeContact(_ channel: String, _ identifier: String, name: String? = nil, workspace: String? = nil) throws -> JSONObject {
        var params: [String: Any] = ["channel": channel, "identifier": identifier]
        if let name { params["name"] = name }
        if let workspace { params["workspace"] = workspace }
        return try result("contact.upsert", params)["contact"]
    }

    /// `profile.create`, returning the profile.
    func makeProfile(_ name: String, _ extra: [String: Any] = [:]) throws -> JSONObject {
        var params = extra
        params["name"] = name
        return try result("profile.create", params)
    }

    /// The profile's current version.
    func profileVersion(_ id: Int) throws -> Int? {
        try result("profile.get", ["id": id])["version"].int
    }

    /// Follows `next_cursor` to the end; returns every item and the page count.
    func collectPages(_ method: String, _ params: [String: Any], limit: Int,
                      between: (() throws -> Void)? = nil) throws -> (items: [JSONObject], pages: Int) {
        var items: [JSONObject] = []
        var cursor: String?
        var pages = 0
        repeat {
            var p = params
            p["limit"] = limit
            if let cursor { p["cursor"] = cursor }
            let page = try result(method, p)
            pages += 1
            let pageItems = page["items"].array
            #expect(pageItems.count <= limit)
            items += pageItems
            cursor = page["next_cursor"].string
            if cursor == nil { #expect(page["next_cursor"].isNull, "next_cursor must be null on the last page") }
            if pages > 10_000 { throw PagingError() }
            if cursor != nil { try between?() }
        } while cursor != nil
        return (items, pages)
    }
}

struct PagingError: Error {}

/// Ids of list items, in order.
func itemIDs(_ items: [JSONObject]) -> [Int] { items.compactMap { $0["id"].int } }

extension LineClient {
    /// Sends many calls pipelined (in chunks, so neither side's buffers
    /// fill up) and returns their answers in order. Request ids are strings
    /// of their own, checked against the answers.
    func callPipelined(_ calls: [(method: String, params: [String: Any])], chunk: Int = 100) throws -> [JSONObject] {
        var answers: [JSONObject] = []
        var start = 0
        while start < calls.count {
            let end = min(calls.count, start + chunk)
            var text = ""
            for index in start..<end {
                let request: [String: Any] = ["jsonrpc": "2.0", "id": "pipelined-\(index)", "method": calls[index].method,
                                              "params": calls[index].params]
                text += String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self) + "\n"
            }
            try send(text)
            for index in start..<end {
                let answer = JSONObject(try readJSON())
                #expect(answer["id"].string == "pipelined-\(index)", "answers in request order")
                answers.append(answer)
            }
            start = end
        }
        return answers
    }
}

extension JSONObject {
    /// The value as JSON with sorted keys, to compare two answers whole.
    var canonical: String {
        guard let raw, let data = try? JSONSerialization.data(withJSONObject: raw, options: [.sortedKeys, .fragmentsAllowed]) else {
            return "nil"
        }
        return String(decoding: data, as: UTF8.self)
    }
}

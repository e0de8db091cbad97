import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SPEC §3 (framing and envelope) and §4 (errors), over a real socket to a
/// real in-process server.
@Suite struct ProtocolTests {
    // MARK: - Envelope

    @Test func numberAndStringIDsAreEchoedUnchanged() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        // Keys are encoded sorted, so the whole line is predictable.
        let cases: [(id: String, echoed: String)] = [
            ("7", "7"), ("0", "0"), ("-3", "-3"), ("9007199254740993", "9007199254740993"), ("1.5", "1.5"),
            (#""abc""#, #""abc""#), (#""""#, #""""#), (#""42""#, #""42""#), (#""ü \"q\"""#, #""ü \"q\"""#),
        ]
        for (id, echoed) in cases {
            try c.sendLine(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#)
            let line = try #require(try c.readLine())
            #expect(line == #"{"id":\#(echoed),"jsonrpc":"2.0","result":"pong"}"#)
        }
        // An explicit null id is a call (answered), not a notification.
        try c.sendLine(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)
        #expect(try c.readLine() == #"{"id":null,"jsonrpc":"2.0","result":"pong"}"#)
    }

    @Test func jsonrpcMemberIsOptionalInRequestsAndAlwaysInResponses() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine(#"{"id":1,"method":"ping"}"#)
        let answer = try readAnswer(c)
        #expect(answer["id"].int == 1)
        #expect(answer["result"].string == "pong")
        #expect(answer["jsonrpc"].string == "2.0")
        // Errors carry it too.
        try c.sendLine(#"{"id":2,"method":"nope"}"#)
        let error = try readAnswer(c)
        #expect(error["jsonrpc"].string == "2.0")
        expectError(error, code: -32601, type: "method_not_found")
        // A wrong version is refused, keeping the id.
        try c.sendLine(#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#)
        let wrong = try readAnswer(c)
        #expect(wrong["id"].int == 3)
        expectError(wrong, code: -32600, type: "invalid_request")
    }

    @Test func paramsMayBeOmittedOrNull() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine(#"{"id":1,"method":"ping","params":null}"#)
        #expect(try readAnswer(c)["result"].string == "pong")
        try c.sendLine(#"{"id":2,"method":"ping","params":{}}"#)
        #expect(try readAnswer(c)["result"].string == "pong")
        try c.sendLine(#"{"id":3,"method":"ping","params":[1]}"#)
        let answer = try readAnswer(c)
        expectError(answer, code: -32602, type: "invalid_params")
        #expect(answer["error"]["data"]["field"].string == "params")
    }

    @Test func notificationsAreNotAnswered() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        // A valid notification, an unknown-method one, and one with bad
        // params: none of them is answered, so the first line read belongs
        // to the request that follows them.
        try c.sendLine(#"{"jsonrpc":"2.0","method":"ping"}"#)
        try c.sendLine(#"{"jsonrpc":"2.0","method":"no.such.method"}"#)
        try c.sendLine(#"{"jsonrpc":"2.0","method":"ping","params":{"bogus":1}}"#)
        try c.sendLine(#"{"jsonrpc":"2.0","method":"ping","params":7}"#)
        try c.sendLine(#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#)
        let answer = try readAnswer(c)
        #expect(answer["id"].string == "after")
        #expect(answer["result"].string == "pong")
        // Notifications are executed: they show up in the request counters.
        let stats = try c.result("stats")
        #expect(stats["requests"]["by_method"]["ping"].int == 3)
    }

    // MARK: - Batches

    @Test func batchIsAnsweredWithOneArrayLine() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine(#"""
            [{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"ping"},{"id":"b","method":"nope"},5,{"id":3,"method":"hello"}]
            """#)
        let line = try #require(try c.readLine())
        let answer = try decodeAnswer(line)
        let items = answer.array
        #expect(answer.raw is [Any])
        #expect(items.count == 4, "the notification is omitted: \(line)")
        #expect(items[0]["id"].int == 1)
        #expect(items[0]["result"].string == "pong")
        #expect(items[1]["id"].string == "b")
        expectError(items[1], code: -32601, type: "method_not_found")
        #expect(items[2]["id"].isNull)
        expectError(items[2], code: -32600, type: "invalid_request")
        #expect(items[3]["id"].int == 3)
        #expect(items[3]["result"]["protocol"].int == 1)
        // Nothing else was sent for that batch.
        try c.sendLine(#"{"id":"next","method":"ping"}"#)
        #expect(try readAnswer(c)["id"].string == "next")
    }

    @Test func batchOfNotificationsIsNotAnswered() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine(#"[{"jsonrpc":"2.0","method":"ping"},{"method":"nope"}]"#)
        try c.sendLine(#"{"id":"after","method":"ping"}"#)
        let answer = try readAnswer(c)
        #expect(answer["id"].string == "after")
    }

    @Test func emptyBatchIsOneInvalidRequestError() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine("[]")
        let answer = try readAnswer(c)
        #expect(answer.object != nil, "one error object, not an array")
        #expect(answer["id"].isNull)
        expectError(answer, code: -32600, type: "invalid_request")
        #expect(try c.result("ping").string == "pong")
    }

    // MARK: - Pipelining

    @Test func pipelinedRequestsInOneWriteAreAnsweredInOrder() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        var text = ""
        for i in 1...200 {
            switch i % 4 {
            case 0: text += #"{"jsonrpc":"2.0","id":\#(i),"method":"ping"}"# + "\n"
            case 1: text += #"{"jsonrpc":"2.0","id":"s\#(i)","method":"health"}"# + "\n"
            case 2: text += #"{"jsonrpc":"2.0","id":\#(i),"method":"nope"}"# + "\n"
            default: text += #"[{"jsonrpc":"2.0","id":\#(i),"method":"ping"}]"# + "\n"
            }
        }
        try c.send(text)
        for i in 1...200 {
            let answer = try readAnswer(c)
            switch i % 4 {
            case 0:
                #expect(answer["id"].int == i)
                #expect(answer["result"].string == "pong")
            case 1:
                #expect(answer["id"].string == "s\(i)")
                #expect(answer["result"]["status"].string == "ok")
            case 2:
                #expect(answer["id"].int == i)
                expectError(answer, code: -32601, type: "method_not_found")
            default:
                #expect(answer[0]["id"].int == i)
                #expect(answer[0]["result"].string == "pong")
            }
        }
    }

    // MARK: - Bad input

    @Test func invalidJSONIsAParseErrorAndTheConnectionStaysOpen() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        for bad in [#"{"id":1,"method":"ping""#, "{oops}", #"{"id":1,"method":"ping"} trailing"#, "nul", #"""unterminated"#] {
            try c.sendLine(bad)
            let answer = try readAnswer(c)
            #expect(answer["id"].isNull, "for \(bad)")
            expectError(answer, code: -32700, type: "parse_error")
        }
        #expect(try c.result("ping").string == "pong")
    }

    @Test func invalidUTF8IsAParseError() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.send(raw: [0xFF, 0xFE, 0x0A])
        let answer = try readAnswer(c)
        #expect(answer["id"].isNull)
        expectError(answer, code: -32700, type: "parse_error")
        // Invalid UTF-8 inside an otherwise well-formed request.
        try c.send(raw: Array(#"{"id":1,"method":"ping","params":{"x":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8) + [0x0A])
        let inner = try readAnswer(c)
        #expect(inner["id"].isNull)
        expectError(inner, code: -32700, type: "parse_error")
        #expect(try c.result("ping").string == "pong")
    }

    @Test(arguments: ["42", #""ping""#, "null", "true", "3.5"])
    func nonObjectRequestIsInvalid(line: String) throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine(line)
        let answer = try readAnswer(c)
        #expect(answer["id"].isNull)
        expectError(answer, code: -32600, type: "invalid_request")
        #expect(try c.result("ping").string == "pong")
    }

    @Test func malformedRequestObjectsAreInvalidRequests() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let cases: [(String, JSONObjectID)] = [
            (#"{"id":1}"#, .int(1)),                          // no method
            (#"{"id":2,"method":5}"#, .int(2)),               // method not a string
            (#"{"id":[1],"method":"ping"}"#, .null),          // id of the wrong type
            (#"{"id":{"a":1},"method":"ping"}"#, .null),
            (#"{"id":true,"method":"ping"}"#, .null),
        ]
        for (line, id) in cases {
            try c.sendLine(line)
            let answer = try readAnswer(c)
            switch id {
            case .int(let n): #expect(answer["id"].int == n, "for \(line)")
            case .null: #expect(answer["id"].isNull, "for \(line)")
            }
            expectError(answer, code: -32600, type: "invalid_request")
        }
    }

    enum JSONObjectID { case int(Int), null }

    @Test func unknownMethodIsMethodNotFound() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let error = try c.error("no.such.method")
        #expect(error["code"].int == -32601)
        #expect(error["data"]["type"].string == "method_not_found")
        #expect(error["message"].string?.contains("no.such.method") == true)
    }

    @Test func unknownParamIsInvalidParamsNamingTheField() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let error = try c.error("ping", ["bogus": 1])
        #expect(error["code"].int == -32602)
        #expect(error["data"]["type"].string == "invalid_params")
        #expect(error["data"]["field"].string == "bogus")
        #expect(error["data"]["reason"].string?.isEmpty == false)
        #expect(error["message"].string?.contains("bogus") == true)
        // System methods take no workspace.
        #expect(try c.error("hello", ["workspace": "w"])["data"]["field"].string == "workspace")
    }

    @Test func everyErrorHasADataType() throws {
        let s = try TestServer { $0.maxLineBytes = 1024 }; defer { s.stop() }
        let c = try s.client()
        let inputs: [(line: String, code: Int, type: String)] = [
            ("{", -32700, "parse_error"),
            ("[]", -32600, "invalid_request"),
            ("1", -32600, "invalid_request"),
            (#"{"id":1}"#, -32600, "invalid_request"),
            (#"{"id":1,"method":"nope"}"#, -32601, "method_not_found"),
            (#"{"id":1,"method":"ping","params":{"x":1}}"#, -32602, "invalid_params"),
            (#"{"id":1,"method":"stats","params":{"workspace":5}}"#, -32602, "invalid_params"),
        ]
        for input in inputs {
            try c.sendLine(input.line)
            let answer = try readAnswer(c)
            expectError(answer, code: input.code, type: input.type)
            #expect(answer["error"]["data"].object != nil, "data is an object for \(input.line)")
        }
        try c.sendLine(String(repeating: " ", count: 2000))
        expectError(try readAnswer(c), code: -32600, type: "payload_too_large")
    }

    // MARK: - Line limit

    @Test func overLongLineIsRefusedThenTheConnectionCloses() throws {
        let s = try TestServer { $0.maxLineBytes = 1024 }; defer { s.stop() }
        let c = try s.client()
        #expect(try c.result("ping").string == "pong")
        let filler = String(repeating: "x", count: 2000)
        try c.sendLine(#"{"id":1,"method":"ping","params":{"pad":"\#(filler)"}}"#)
        // The answer comes first, then the close.
        let answer = try readAnswer(c)
        #expect(answer["id"].isNull)
        expectError(answer, code: -32600, type: "payload_too_large")
        #expect(answer["error"]["data"]["limit"].int == 1024)
        #expect(try c.readEOF())
        // The server itself is fine.
        #expect(try s.client().result("ping").string == "pong")
    }

    @Test func overLongLineWithoutNewlineIsRefusedToo() throws {
        let s = try TestServer { $0.maxLineBytes = 1024 }; defer { s.stop() }
        let c = try s.client()
        // The server must not wait for a `\n` that may never come.
        try c.send(String(repeating: "y", count: 3000))
        let answer = try readAnswer(c)
        expectError(answer, code: -32600, type: "payload_too_large")
        #expect(try c.readEOF())
    }

    @Test func lineOfExactlyTheLimitIsAccepted() throws {
        let s = try TestServer { $0.maxLineBytes = 1024 }; defer { s.stop() }
        let c = try s.client()
        let request = #"{"id":1,"method":"ping"}"#
        let padded = request.dropLast() + String(repeating: " ", count: 1024 - request.utf8.count) + "}"
        #expect(padded.utf8.count == 1024)
        try c.sendLine(String(padded))
        #expect(try readAnswer(c)["result"].string == "pong")
        // `\r` is a terminator, not part of the line.
        try c.send(String(padded) + "\r\n")
        #expect(try readAnswer(c)["result"].string == "pong")
        // One more byte is over.
        try c.sendLine(" " + padded)
        expectError(try readAnswer(c), code: -32600, type: "payload_too_large")
        #expect(try c.readEOF())
    }

    @Test func errorOnOneConnectionDoesNotAffectAnother() throws {
        let s = try TestServer { $0.maxLineBytes = 1024 }; defer { s.stop() }
        let bystander = try s.client()
        let offender = try s.client()
        #expect(try bystander.result("ping").string == "pong")
        // Half a request pending on the bystander while the offender is cut off.
        try bystander.send(#"{"id":"split","meth"#)
        try offender.sendLine("not json")
        expectError(try readAnswer(offender), code: -32700, type: "parse_error")
        try offender.sendLine(String(repeating: "z", count: 5000))
        expectError(try readAnswer(offender), code: -32600, type: "payload_too_large")
        #expect(try offender.readEOF())
        try bystander.sendLine(#"od":"ping"}"#)
        let answer = try readAnswer(bystander)
        #expect(answer["id"].string == "split")
        #expect(answer["result"].string == "pong")
    }

    // MARK: - Framing

    @Test func crlfLineEndingsAreAccepted() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.send("{\"id\":1,\"method\":\"ping\"}\r\n{\"id\":2,\"method\":\"ping\"}\r\n")
        #expect(try readAnswer(c)["id"].int == 1)
        #expect(try readAnswer(c)["id"].int == 2)
    }

    @Test func blankLinesAreIgnored() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.send("\n\r\n   \n\t\r\n\n")
        try c.sendLine(#"{"id":"first","method":"ping"}"#)
        let answer = try readAnswer(c)
        #expect(answer["id"].string == "first")
        // Blank lines are not requests: they are not counted.
        let stats = try c.result("stats")
        #expect(stats["requests"]["total"].int == 1)
        #expect(stats["requests"]["errors"].int == 0)
    }

    @Test func responsesNeverContainARawNewline() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        // A method name and a param name holding newlines come back inside
        // error messages and data; both must stay escaped on one line.
        try c.sendLine(#"{"id":1,"method":"no\nsuch\r\nmethod"}"#)
        try c.sendLine(#"{"id":2,"method":"ping","params":{"line\none":1}}"#)
        try c.sendLine(#"{"id":3,"method":"ping"}"#)
        let first = try #require(try c.readLine())
        let second = try #require(try c.readLine())
        let third = try #require(try c.readLine())
        for line in [first, second, third] {
            #expect(!line.contains("\r"), "raw CR in \(line)")
        }
        let a = try decodeAnswer(first)
        #expect(a["id"].int == 1)
        #expect(a["error"]["message"].string?.contains("no\nsuch\r\nmethod") == true)
        let b = try decodeAnswer(second)
        #expect(b["id"].int == 2)
        #expect(b["error"]["data"]["field"].string == "line\none")
        #expect(try decodeAnswer(third)["result"].string == "pong")
    }

    // MARK: - Connection lifecycle

    @Test func peerHangingUpMidLineDoesNotBreakTheServer() throws {
        let s = try TestServer(); defer { s.stop() }
        do {
            // Orderly close (FIN) in the middle of a line.
            let c = try s.client()
            try c.send(#"{"jsonrpc":"2.0","id":1,"meth"#)
        }
        do {
            // Abortive close (RST) in the middle of a line.
            let c = try s.client()
            try c.send(#"{"jsonrpc":"2.0","id":2,"method":"pi"#)
            setLingerZero(c.fd)
        }
        do {
            // Hang-up with answers still unread.
            let c = try s.client()
            try c.send(String(repeating: #"{"id":1,"method":"health"}"# + "\n", count: 500))
            setLingerZero(c.fd)
        }
        let fresh = try s.client()
        #expect(try fresh.result("ping").string == "pong")
        #expect(eventually { serverSocketDescriptorCount(port: s.port) == 2 }, "listener + the fresh connection")
    }

    @Test func halfCloseStillGetsTheLastUnterminatedLineAnswered() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.send(#"{"id":9,"method":"ping"}"#)
        shutdown(c.fd, Int32(SHUT_WR))
        #expect(try readAnswer(c)["id"].int == 9)
        #expect(try c.readEOF())
    }

    @Test func closedConnectionsReleaseTheirDescriptors() throws {
        let s = try TestServer(); defer { s.stop() }
        let baselineServerSockets = serverSocketDescriptorCount(port: s.port)
        #expect(baselineServerSockets == 1, "only the listening socket")
        let baselineTotal = openFileDescriptorCount()
        do {
            var clients: [LineClient] = []
            for _ in 0..<50 {
                let c = try s.client()
                #expect(try c.result("ping").string == "pong")
                clients.append(c)
            }
            // Every accepted connection holds one descriptor while open.
            #expect(serverSocketDescriptorCount(port: s.port) == 51)
            // Half close cleanly, half reset.
            for c in clients.prefix(25) { setLingerZero(c.fd) }
            clients.removeAll()
        }
        // The server notices every close and releases each descriptor.
        let released = eventually { serverSocketDescriptorCount(port: s.port) == baselineServerSockets }
        #expect(released, "server sockets left: \(serverSocketDescriptorCount(port: s.port))")
        // The whole process's count returns near the baseline too. Other
        // tests run in parallel in this process and open and close fds of
        // their own, so allow some slack (a leak here would be 50 or 100).
        #expect(eventually { openFileDescriptorCount() < baselineTotal + 40 },
                "fds now \(openFileDescriptorCount()), baseline \(baselineTotal)")
        let c = try s.client()
        #expect(eventually { (try? c.result("stats")["connections"]["current"].int) == 1 })
        #expect(try c.result("stats")["connections"]["total"].int == 51)
    }
}

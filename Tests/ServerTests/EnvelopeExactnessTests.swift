import Foundation
import ProfilesTestSupport
import Testing

/// The envelope is exactly JSON-RPC 2.0 ("Hostile input at the protocol
/// edge", items 3 and 4), over a real socket. Each case here was answered
/// differently before `JSONReader`: `"jsonrpc": null` was accepted,
/// duplicate members were decided by Foundation (the first won), and ids
/// came back re-encoded from a number (`1.0` as `1`, and
/// `12345678901234567890` as another value). Answers are compared as bytes.
@Suite struct EnvelopeExactnessTests {
    /// Sends `line`, returns the answer's bytes as text (not parsed).
    private func answer(_ c: LineClient, _ line: String) throws -> String {
        try c.sendLine(line)
        let bytes = try #require(try c.readRawLine(), "no answer to \(line)")
        return try #require(String(validating: bytes, as: UTF8.self), "an answer that is not UTF-8 to \(line)")
    }

    @Test func idsAreEchoedByteForByte() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let ids = ["1.0", "1e2", "1E+2", "-0", "-0.0", "12345678901234567890", "-12345678901234567890", "0.1e-7",
                   "1.5000", "9223372036854775808", "1" + String(repeating: "0", count: 300),
                   #""a\u0041""#, #""\u00e9""#, #""é""#, #""e\u0301""#, #""\/""#, #""\ud83d\ude00""#, #""😀""#, #""\"""#, #""\u0000""#]
        for id in ids {
            for spacing in ["", " ", "\t "] {
                let sent = #"{"jsonrpc":"2.0","id":\#(spacing)\#(id)\#(spacing),"method":"ping"}"#
                #expect(try answer(c, sent) == #"{"id":\#(id),"jsonrpc":"2.0","result":"pong"}"#, "id \(id)")
            }
            // Errors and batches echo the same text.
            #expect(try answer(c, #"{"id":\#(id),"method":"no.such"}"#)
                    == #"{"error":{"code":-32601,"data":{"type":"method_not_found"},"message":"method 'no.such' not found"},"id":\#(id),"jsonrpc":"2.0"}"#)
            #expect(try answer(c, #"[{"id":\#(id),"method":"ping"},{"id":\#(id)}]"#)
                    == #"[{"id":\#(id),"jsonrpc":"2.0","result":"pong"},{"error":{"code":-32600,"data":{"type":"invalid_request"},"message":"'method' is missing"},"id":\#(id),"jsonrpc":"2.0"}]"#)
        }
    }

    @Test func jsonrpcMustBeTheString2Point0() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let refusal = #""error":{"code":-32600,"data":{"type":"invalid_request"},"message":"'jsonrpc' must be \"2.0\""}"#
        for version in ["null", #""1.0""#, "2.0", "2", #""2.0 ""#, #""2""#, "[]", "{}", "true"] {
            #expect(try answer(c, #"{"jsonrpc":\#(version),"id":5,"method":"ping"}"#) == #"{\#(refusal),"id":5,"jsonrpc":"2.0"}"#,
                    "jsonrpc \(version)")
            // A notification with a bad version is answered, with id null.
            #expect(try answer(c, #"{"jsonrpc":\#(version),"method":"ping"}"#) == #"{\#(refusal),"id":null,"jsonrpc":"2.0"}"#)
        }
        #expect(try answer(c, #"{"jsonrpc":"2.0","id":5,"method":"ping"}"#) == #"{"id":5,"jsonrpc":"2.0","result":"pong"}"#)
        #expect(try answer(c, #"{"jsonrpc":"2\u002e0","id":6,"method":"ping"}"#) == #"{"id":6,"jsonrpc":"2.0","result":"pong"}"#)
    }

    @Test func duplicateMembersAreRefused() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        func refused(_ name: String) -> String {
            #""error":{"code":-32600,"data":{"type":"invalid_request"},"message":"member '\#(name)' appears more than once"}"#
        }
        // In the request object: -32600, the id echoed unless it is the duplicate.
        #expect(try answer(c, #"{"id":1,"method":"ping","method":"ping"}"#) == #"{\#(refused("method")),"id":1,"jsonrpc":"2.0"}"#)
        #expect(try answer(c, #"{"id":1,"id":1,"method":"ping"}"#) == #"{\#(refused("id")),"id":null,"jsonrpc":"2.0"}"#)
        #expect(try answer(c, #"{"jsonrpc":"2.0","jsonrpc":"2.0","id":"x","method":"ping"}"#) == #"{\#(refused("jsonrpc")),"id":"x","jsonrpc":"2.0"}"#)
        #expect(try answer(c, #"{"id":2,"method":"ping","params":{},"params":{}}"#) == #"{\#(refused("params")),"id":2,"jsonrpc":"2.0"}"#)
        #expect(try answer(c, #"{"method":"ping","method":"ping"}"#) == #"{\#(refused("method")),"id":null,"jsonrpc":"2.0"}"#)
        // In another member (ignored by the server, but still the request's).
        #expect(try answer(c, #"{"id":3,"method":"ping","extra":{"a":[{"b":1,"b":2}]}}"#) == #"{\#(refused("extra.a[0].b")),"id":3,"jsonrpc":"2.0"}"#)
        // A duplicate in the request object wins over one in params.
        #expect(try answer(c, #"{"params":{"a":1,"a":1},"id":4,"method":"ping","method":"ping"}"#) == #"{\#(refused("method")),"id":4,"jsonrpc":"2.0"}"#)

        // In params, at any depth: -32602 naming the path.
        func invalidParam(_ field: String) -> String {
            #""error":{"code":-32602,"data":{"field":"\#(field)","reason":"appears more than once","type":"invalid_params"},"message":"invalid param '\#(field)': appears more than once"}"#
        }
        #expect(try answer(c, #"{"id":5,"method":"profile.get","params":{"id":1,"id":2}}"#) == #"{\#(invalidParam("id")),"id":5,"jsonrpc":"2.0"}"#)
        #expect(try answer(c, #"{"id":6,"method":"profile.create","params":{"name":"A","fields":{"x":1,"y":{"z":[0,{"q":1,"q":1}]}}}}"#)
                == #"{\#(invalidParam("fields.y.z[1].q")),"id":6,"jsonrpc":"2.0"}"#)
        // Nothing was created by the refused call.
        #expect(try answer(c, #"{"id":7,"method":"profile.get","params":{"id":1}}"#).contains(#""code":-32004"#))
        // Canonically equivalent names are the same name.
        #expect(try answer(c, #"{"id":8,"method":"ping","params":{"\u00e9":1,"e\u0301":1}}"#).contains(#""code":-32602"#))
        // A notification with a duplicate in params is dropped, like one
        // with params that are not an object: the next answer is the ping's.
        try c.sendLine(#"{"method":"profile.create","params":{"name":"A","name":"B"}}"#)
        #expect(try answer(c, #"{"id":9,"method":"profile.list"}"#) == #"{"id":9,"jsonrpc":"2.0","result":{"items":[],"next_cursor":null}}"#)
        // In a batch, each element on its own.
        #expect(try answer(c, #"[{"id":10,"id":11,"method":"ping"},{"id":12,"method":"ping"},{"id":13,"method":"ping","params":{"a":{"b":1,"b":1}}}]"#)
                == "[{\(refused("id")),\"id\":null,\"jsonrpc\":\"2.0\"},{\"id\":12,\"jsonrpc\":\"2.0\",\"result\":\"pong\"},{\(invalidParam("a.b")),\"id\":13,\"jsonrpc\":\"2.0\"}]")
        // Same names in different objects are no duplicates.
        #expect(try answer(c, #"{"id":14,"method":"ping","x":{"id":1,"method":2},"params":null}"#) == #"{"id":14,"jsonrpc":"2.0","result":"pong"}"#)
    }
}

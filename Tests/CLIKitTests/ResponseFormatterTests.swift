import Foundation
import ProfilesCLIKit
import ProfilesProtocol
import Testing

/// Answer lines as the interactive client prints them.
@Suite struct ResponseFormatterTests {
    private let plain = ResponseFormatter(palette: .plain)

    @Test func resultsArePrettySortedJSON() {
        let line = #"{"jsonrpc":"2.0","id":3,"result":{"name":"Peter","id":1,"tags":[],"fields":{"tier":"gold"},"contact_ids":[1,2],"ok":true,"gone":null,"score":1.5,"path":"a/b"}}"#
        #expect(plain.format(line: Array(line.utf8)) == """
            {
              "contact_ids": [
                1,
                2
              ],
              "fields": {
                "tier": "gold"
              },
              "gone": null,
              "id": 1,
              "name": "Peter",
              "ok": true,
              "path": "a/b",
              "score": 1.5,
              "tags": []
            }
            """)
        #expect(plain.format(line: Array(#"{"jsonrpc":"2.0","id":1,"result":"pong"}"#.utf8)) == #""pong""#)
    }

    @Test func errorsShowCodeTypeMessageAndDetails() {
        let invalid = #"{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"invalid param 'name': must be 1–200 characters","data":{"type":"invalid_params","field":"name","reason":"must be 1–200 characters"}}}"#
        #expect(plain.format(line: Array(invalid.utf8))
            == "error -32602 invalid_params: invalid param 'name': must be 1–200 characters (field: name)")
        let conflict = #"{"jsonrpc":"2.0","id":5,"error":{"code":-32009,"message":"profile 1 has version 3","data":{"type":"conflict","reason":"version_mismatch","current_version":3}}}"#
        #expect(plain.format(line: Array(conflict.utf8))
            == "error -32009 conflict: profile 1 has version 3 (current_version: 3, reason: version_mismatch)")
        let bare = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"method 'x' not found","data":{"type":"method_not_found"}}}"#
        #expect(plain.format(line: Array(bare.utf8)) == "error -32601 method_not_found: method 'x' not found")
    }

    @Test func batchAnswersAreListedUnderTheirIds() {
        let line = #"[{"jsonrpc":"2.0","id":1,"result":"pong"},{"jsonrpc":"2.0","id":"b","error":{"code":-32601,"message":"method 'x' not found","data":{"type":"method_not_found"}}}]"#
        #expect(plain.format(line: Array(line.utf8)) == """
            id 1:
            "pong"
            id "b":
            error -32601 method_not_found: method 'x' not found
            """)
    }

    @Test func pushedNotificationsShowOnOneLine() {
        let line = Array(#"{"jsonrpc":"2.0","method":"event","params":{"seq":12,"type":"profile.created","id":3}}"#.utf8)
        #expect(ServerLine(line) == .notification(method: "event", params: ["seq": 12, "type": "profile.created", "id": 3]))
        #expect(plain.format(line: line) == #"← event {"id":3,"seq":12,"type":"profile.created"}"#)
        // An answer with "id": null (e.g. overloaded) is an answer, not a notification.
        let overloaded = Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32029,"message":"too many connections","data":{"type":"overloaded"}}}"#.utf8)
        guard case .answer = ServerLine(overloaded) else {
            Issue.record("an answer taken for a notification")
            return
        }
        #expect(plain.format(line: overloaded) == "error -32029 overloaded: too many connections")
    }

    @Test func unreadableAnswersAreShownAsTheyCame() {
        #expect(plain.format(line: Array("not json".utf8)) == "unreadable answer: not json")
    }

    @Test func colorsOnlyWhenThePaletteIsOn() {
        let colored = ResponseFormatter(palette: Palette(enabled: true))
        let result = colored.format(line: Array(#"{"id":1,"result":{"n":1,"s":"x","b":false}}"#.utf8))
        #expect(result == "{\n  \u{1B}[34m\"b\"\u{1B}[0m: \u{1B}[35mfalse\u{1B}[0m,\n  \u{1B}[34m\"n\"\u{1B}[0m: \u{1B}[36m1\u{1B}[0m,\n  \u{1B}[34m\"s\"\u{1B}[0m: \u{1B}[32m\"x\"\u{1B}[0m\n}")
        let error = colored.format(line: Array(#"{"id":1,"error":{"code":-32601,"message":"m","data":{"type":"method_not_found"}}}"#.utf8))
        #expect(error == "\u{1B}[1;31merror -32601 method_not_found:\u{1B}[0m m")
        #expect(!plain.format(line: Array(#"{"id":1,"result":{"n":1}}"#.utf8)).contains("\u{1B}"))
    }

    @Test func noColorTurnsColorsOff() {
        // Whatever stdout is, NO_COLOR (non-empty) and TERM=dumb win.
        #expect(!Palette.forStandardOutput(environment: ["NO_COLOR": "1", "TERM": "xterm"]).enabled)
        #expect(!Palette.forStandardOutput(environment: ["TERM": "dumb"]).enabled)
    }
}

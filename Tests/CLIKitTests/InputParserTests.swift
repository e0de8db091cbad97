import Foundation
import ProfilesCLIKit
import ProfilesProtocol
import Testing

/// Typed lines of the interactive client → the request lines it sends.
@Suite struct InputParserTests {
    /// The request a line becomes, decoded back into JSON to compare.
    private func request(_ line: String, id: Int64 = 7) throws -> JSONValue {
        guard case .request(let request) = try InputParser.parse(line, id: id) else {
            Issue.record("\(line) is not a request")
            return .null
        }
        #expect(request.expectsAnswer)
        #expect(request.usesClientID)
        return try JSONDecoder().decode(JSONValue.self, from: Data(request.line.utf8))
    }

    @Test func methodAloneHasNoParams() throws {
        #expect(try request("ping") == ["jsonrpc": "2.0", "id": 7, "method": "ping"])
        #expect(try request("  health  ", id: 8) == ["jsonrpc": "2.0", "id": 8, "method": "health"])
    }

    @Test func keyValueWordsReadValuesAsJSONWhenTheyParse() throws {
        let sent = try request(#"profile.create name="Peter Smith" contact_ids=[1, 2] fields={"tier": "gold"} active=true note=null n=42 x=1.5"#)
        #expect(sent["params"] == [
            "name": "Peter Smith", "contact_ids": [1, 2], "fields": ["tier": "gold"],
            "active": true, "note": nil, "n": 42, "x": 1.5,
        ])
    }

    @Test func valuesThatAreNotJSONAreText() throws {
        let sent = try request("contact.upsert channel=whatsapp identifier=0049151 body=it's name= label=a=b")
        #expect(sent["params"] == ["channel": "whatsapp", "identifier": "0049151", "body": "it's", "name": "", "label": "a=b"])
    }

    @Test func quotesKeepTextAsText() throws {
        // "42" is the JSON string 42, '…' is always text, blanks inside stay.
        let sent = try request(#"profile.create name="42" tier='true' label='Gold tier' q="say \"hi\"""#)
        #expect(sent["params"] == ["name": "42", "tier": "true", "label": "Gold tier", "q": #"say "hi""#])
    }

    @Test func jsonParamsFollowTheMethod() throws {
        #expect(try request(#"profile.get {"id": 1, "include": ["notes"]}"#)["params"] == ["id": 1, "include": ["notes"]])
    }

    @Test func rawLinesGoAsTheyAre() throws {
        let raw = #"{"id":"mine","method":"ping"}"#
        #expect(try InputParser.parse("  " + raw, id: 1) == .request(OutgoingRequest(line: raw, expectsAnswer: true, usesClientID: false)))
        let batch = #"[{"id":1,"method":"ping"},{"method":"ping"}]"#
        #expect(try InputParser.parse(batch, id: 1) == .request(OutgoingRequest(line: batch, expectsAnswer: true, usesClientID: false)))
        // Broken JSON is still sent: the server's parse error is the answer.
        #expect(try InputParser.parse("{nope", id: 1) == .request(OutgoingRequest(line: "{nope", expectsAnswer: true, usesClientID: false)))
    }

    @Test func notificationsExpectNoAnswer() throws {
        let note = #"{"method":"ping"}"#
        #expect(try InputParser.parse(note, id: 1) == .request(OutgoingRequest(line: note, expectsAnswer: false, usesClientID: false)))
        let batch = #"[{"method":"ping"},{"method":"health"}]"#
        #expect(try InputParser.parse(batch, id: 1) == .request(OutgoingRequest(line: batch, expectsAnswer: false, usesClientID: false)))
    }

    @Test func dotCommandsAndBlankLines() throws {
        #expect(try InputParser.parse(".help", id: 1) == .command(.help))
        #expect(try InputParser.parse(" .QUIT ", id: 1) == .command(.quit))
        #expect(try InputParser.parse(".exit", id: 1) == .command(.exit))
        #expect(try InputParser.parse(".methods", id: 1) == .command(.methods))
        #expect(try InputParser.parse("   ", id: 1) == .nothing)
        #expect(throws: InputParser.Failure("unknown command .nope (.help lists the commands)")) {
            try InputParser.parse(".nope", id: 1)
        }
    }

    @Test func mistakesAreSaidPlainly() {
        #expect(throws: InputParser.Failure("expected KEY=VALUE or a JSON object after profile.get, not 1")) {
            try InputParser.parse("profile.get 1", id: 1)
        }
        #expect(throws: InputParser.Failure("expected KEY=VALUE or a JSON object after profile.get, not =1")) {
            try InputParser.parse("profile.get =1", id: 1)
        }
        #expect(throws: InputParser.Failure("unterminated \" quote")) {
            try InputParser.parse(#"profile.create name="Peter"#, id: 1)
        }
        #expect(throws: InputParser.Failure("id is given twice")) {
            try InputParser.parse("profile.get id=1 id=2", id: 1)
        }
        #expect(throws: InputParser.Failure(#"the params after profile.get are not valid JSON: {"id":}"#)) {
            try InputParser.parse(#"profile.get {"id":}"#, id: 1)
        }
    }

    /// `profiles-cli call METHOD KEY=VALUE …`: the shell has split the
    /// words (and taken its quotes away); each is read as at the prompt.
    @Test func wordsFromTheCommandLineReadAsAtThePrompt() throws {
        #expect(try InputParser.params(words: ["name=Peter B.", #"fields={"tier": "gold"}"#, "contact_ids=[1,2]", "n=42",
                                               #"q="42""#, "label='a b'", "empty="], method: "profile.create")
                == ["name": "Peter B.", "fields": ["tier": "gold"], "contact_ids": [1, 2], "n": 42,
                    "q": "42", "label": "a b", "empty": ""])
        #expect(try InputParser.params(words: [], method: "ping") == [:])
        #expect(throws: InputParser.Failure("expected KEY=VALUE or a JSON object after profile.get, not 1")) {
            try InputParser.params(words: ["1"], method: "profile.get")
        }
        // A JSON object among words is not a KEY=VALUE, even with a = inside.
        #expect(throws: InputParser.Failure(#"expected KEY=VALUE or a JSON object after m, not {"a":"x=y"}"#)) {
            try InputParser.params(words: ["b=1", #"{"a":"x=y"}"#], method: "m")
        }
        #expect(throws: InputParser.Failure("id is given twice")) {
            try InputParser.params(words: ["id=1", "id=2"], method: "profile.get")
        }
    }

    @Test func wordsSplitLikeAShellButKeepQuotesAndBrackets() throws {
        #expect(try WordSplitter.split(#" a=1   b="x y"  c={"k": [1, 2]} d='p q' "#) == ["a=1", #"b="x y""#, #"c={"k": [1, 2]}"#, "d='p q'"])
        #expect(try WordSplitter.split("body=it's fine") == ["body=it's", "fine"])
        #expect(throws: WordSplitter.UnterminatedQuote(quote: "'")) { try WordSplitter.split("a='open") }
    }
}

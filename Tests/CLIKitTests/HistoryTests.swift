import ProfilesCLIKit
import Testing

/// Which lines the interactive client keeps, and where.
@Suite struct HistoryTests {
    @Test func fileIsInHome() {
        #expect(History.path(environment: ["HOME": "/home/kim"]) == "/home/kim/.profiles_history")
        #expect(History.path(environment: ["HOME": "/"]) == "/.profiles_history")
        #expect(History.path(environment: [:]) == nil)
        #expect(History.path(environment: ["HOME": ""]) == nil)
    }

    @Test func leavesOutBlanksRepeatsPrivateAndAuthLines() {
        #expect(History.shouldRecord("ping", previous: nil))
        #expect(History.shouldRecord("ping", previous: "health"))
        #expect(!History.shouldRecord("ping", previous: "ping"))
        #expect(!History.shouldRecord("", previous: nil))
        #expect(!History.shouldRecord(" profile.get id=1", previous: nil))
        #expect(!History.shouldRecord("auth token=0123456789abcdef", previous: nil))
        #expect(!History.shouldRecord(#"{"id":1,"method":"auth","params":{"token":"0123456789abcdef"}}"#, previous: nil))
        #expect(History.shouldRecord("author.get", previous: nil))
    }
}

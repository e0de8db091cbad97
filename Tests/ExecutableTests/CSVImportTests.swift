import Foundation
import ProfilesTestSupport
import Testing

/// `profiles-cli import FILE.csv` and `export --csv` (SPEC §12), run as
/// built against a real server, each test on both stores: a server on a
/// SQLite file and one on a PostgreSQL database of its own (the test
/// cluster, TestPostgres), in every `swift test` run.
@Suite struct CSVImportTests {
    /// A server on `backend`, checked to be on it: `health` names the
    /// store's journal mode, and on PostgreSQL its database is the one
    /// the test made.
    private func server(_ backend: TestBackend.Kind) throws -> TestServer {
        let s = try TestServer(backend: backend)
        let health = try s.client().result("health")
        #expect(health["journal_mode"].string == backend.journalMode, "\(backend): health \(health)")
        #expect((s.server.configuration.postgresURL != nil) == (backend == .postgres))
        return s
    }

    /// On PostgreSQL, what the database itself holds: the rows are there,
    /// not only in what the server answers.
    private func expectStored(_ s: TestServer, profiles: Int, contacts: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let url = s.server.configuration.postgresURL else { return }
        let stored = try TestPostgres.psqlValue(url, "SELECT (SELECT count(*) FROM profiles) || ',' || (SELECT count(*) FROM contacts)")
        #expect(stored == "\(profiles),\(contacts)", "rows in PostgreSQL (profiles,contacts)", sourceLocation: sourceLocation)
    }

    private func cli(_ arguments: [String]) throws -> (status: Int32?, stdout: String, stderr: String) {
        try ChildProcess.run(try Binaries.url("profiles-cli"), arguments, timeout: 60)
    }

    private func file(_ text: String, in server: TestServer, named name: String = "people.csv") throws -> String {
        let path = server.directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func counts(_ c: LineClient) throws -> (profiles: Int?, contacts: Int?) {
        let entities = try c.result("stats")["entities"]
        return (entities["profiles"].int, entities["contacts"].int)
    }

    /// All profiles (with contacts and fields), by name.
    private func profiles(_ c: LineClient) throws -> [String: JSONObject] {
        var byName: [String: JSONObject] = [:]
        for item in try c.result("profile.list", ["limit": 500])["items"].array {
            let detail = try c.result("profile.get", ["id": item["id"].int ?? 0, "include": ["contacts"]])
            byName[detail["name"].string ?? ""] = detail
        }
        return byName
    }

    private func defineFields(_ c: LineClient) throws {
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        _ = try c.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        _ = try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        _ = try c.result("field.define", ["key": "about", "label": "About", "type": "text"])
    }

    @Test(arguments: TestBackend.Kind.allCases)
    func importsGoodRowsWholeReportsBadOnesAndWritesNothingTwice(backend: TestBackend.Kind) throws {
        let s = try server(backend); defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        // Already there, unassigned: the row naming it attaches it.
        let existing = try c.result("contact.upsert", ["channel": "email", "identifier": "anna@example.com"])["contact"]
        let path = try file("""
            name,email,sms,tier,score,vip,about
            Anna Schmidt,ANNA@example.com,+49 151 23456789,gold,42,true,
            "Berg, Peter",peter@example.com,,silver,3.5,no,
            Carla,not-an-address,,,,,
            Dora,dora@example.com,,bronze,,,
            "Eva ""Evi"" Lang","eva@example.com",,,"7",,
            Fritz,fritz@example.com,,,lots,,
            Greta Hansen,greta@example.com,,,,false,"Met at the fair,
            asked for ""gold"" twice"
            Hugo,hugo(at)example.com,,,,,
            """ + "\n", in: s)

        let run = try cli(["--port", "\(s.port)", "import", path])
        #expect(run.status == 1, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        // Each failed row: its line and the reason, naming the column.
        #expect(run.stderr.contains("line 4: column email: invalid param 'contacts[0].identifier'"), "\(run.stderr)")
        #expect(run.stderr.contains("line 5: column tier:"), "\(run.stderr)")
        #expect(run.stderr.contains("line 7: column score: 'lots' is not a number"), "\(run.stderr)")
        // Line numbers are where a row starts: Greta's takes lines 8 and 9.
        #expect(run.stderr.contains("line 10: column email:"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 4, "\(run.stderr)")
        // Not a terminal: no progress bar.
        #expect(!run.stderr.contains("\r"))
        #expect(run.stdout.contains("4 rows imported, 0 already imported, 4 failed"), "\(run.stdout)")

        let imported = try profiles(c)
        #expect(Set(imported.keys) == ["Anna Schmidt", "Berg, Peter", "Eva \"Evi\" Lang", "Greta Hansen"])
        let anna = try #require(imported["Anna Schmidt"])
        #expect(anna["fields"]["tier"].string == "gold")
        #expect(anna["fields"]["score"].int == 42)
        #expect(anna["fields"]["vip"].bool == true)
        let annaContacts = anna["contacts"].array
        #expect(annaContacts.count == 2)
        // The existing contact was attached, not duplicated.
        #expect(annaContacts.first { $0["channel"].string == "email" }?["id"].int == existing["id"].int)
        #expect(annaContacts.first { $0["channel"].string == "sms" }?["identifier"].string == "+4915123456789")
        #expect(imported["Berg, Peter"]?["fields"]["score"].double == 3.5)
        #expect(imported["Berg, Peter"]?["fields"]["vip"].bool == false)
        #expect(imported["Greta Hansen"]?["contacts"][0]["identifier"].string == "greta@example.com")
        #expect(imported["Greta Hansen"]?["fields"]["about"].string == "Met at the fair,\nasked for \"gold\" twice")
        // The failed rows left nothing: no profile, no contact.
        let before = try counts(c)
        #expect(before.profiles == 4)
        #expect(before.contacts == 5)
        try expectStored(s, profiles: 4, contacts: 5)

        // The same file again: the good rows are answered from their keys.
        let again = try cli(["--port", "\(s.port)", "import", path])
        #expect(again.status == 1)
        #expect(again.stdout.contains("0 rows imported, 4 already imported, 4 failed"), "\(again.stdout)")
        let after = try counts(c)
        #expect(after.profiles == before.profiles)
        #expect(after.contacts == before.contacts)
        try expectStored(s, profiles: 4, contacts: 5)
    }

    /// Exported from a server on `backend`, imported into another on the
    /// same store.
    @Test(arguments: TestBackend.Kind.allCases)
    func exportWritesWhatImportReadsBack(backend: TestBackend.Kind) throws {
        let s = try server(backend); defer { s.stop() }
        let c = try s.client()
        try defineFields(c)
        let first = try c.result("profile.create", [
            "name": "Anna, \"the\" first", "fields": ["tier": "gold", "score": 1.25, "vip": true, "about": "two\nlines, \"quoted\""],
            "contacts": [["channel": "email", "identifier": "a1@example.com"], ["channel": "email", "identifier": "a2@example.com"],
                         ["channel": "chat", "identifier": "anna, \"chat\" one"]],
        ])
        #expect(first["contact_count"].int == 3)
        _ = try c.result("profile.create", ["name": "Bob", "fields": ["score": 7],
                                            "contacts": [["channel": "whatsapp", "identifier": "+14155550100"]]])
        _ = try c.result("profile.create", ["name": "Cleo"])

        let export = try cli(["--port", "\(s.port)", "export", "--csv"])
        #expect(export.status == 0, "\(export.stderr)")
        let lines = export.stdout.components(separatedBy: "\r\n")
        #expect(lines[0] == "name,email,email,whatsapp,facebook,instagram,telegram,sms,voice,chat,custom,tier,score,vip,about", "\(lines[0])")

        // Into an empty server: the same profiles, contacts and values.
        let t = try server(backend); defer { t.stop() }
        let d = try t.client()
        try defineFields(d)
        let path = try file(export.stdout, in: t, named: "export.csv")
        let run = try cli(["--port", "\(t.port)", "import", path])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        #expect(run.stdout.contains("3 rows imported"), "\(run.stdout)")
        try expectStored(t, profiles: 3, contacts: 4)
        let original = try profiles(c), copy = try profiles(d)
        #expect(Set(copy.keys) == Set(original.keys))
        for (name, profile) in original {
            let other = try #require(copy[name])
            #expect(NSDictionary(dictionary: other["fields"].object ?? [:]) == NSDictionary(dictionary: profile["fields"].object ?? [:]),
                    "\(name): \(other["fields"]) against \(profile["fields"])")
            let identifiers = { (p: JSONObject) in p["contacts"].array.map { "\($0["channel"].string ?? ""):\($0["identifier"].string ?? "")" }.sorted() }
            #expect(identifiers(other) == identifiers(profile), "\(name)")
        }
        // What was written, not only the same on both servers (a store that
        // lost a value on the way in would lose it on both).
        let anna = try #require(copy["Anna, \"the\" first"])
        #expect(NSDictionary(dictionary: anna["fields"].object ?? [:])
                == NSDictionary(dictionary: ["tier": "gold", "score": 1.25, "vip": true, "about": "two\nlines, \"quoted\""]), "\(anna)")
        #expect(anna["contacts"].array.count == 3)
        #expect(copy["Bob"]?["fields"]["score"].int == 7)
        #expect(copy["Bob"]?["contacts"][0]["identifier"].string == "+14155550100")
        #expect(copy["Cleo"]?["contacts"].array.isEmpty == true)
        // And exported again, the same bytes.
        let again = try cli(["--port", "\(t.port)", "export", "--csv"])
        #expect(again.stdout == export.stdout)
    }

    @Test(arguments: TestBackend.Kind.allCases)
    func aTerminalShowsTheProgressBar(backend: TestBackend.Kind) throws {
        let s = try server(backend); defer { s.stop() }
        let rows = (1...50).map { "Person \($0),p\($0)@example.com" }.joined(separator: "\n")
        let path = try file("name,email\n" + rows + "\n", in: s)
        let terminal = try TerminalProcess(try Binaries.url("profiles-cli"), ["--port", "\(s.port)", "import", path])
        defer { terminal.killIfRunning() }
        #expect(terminal.waitFor(["/50 rows", "rows/s", "left", "50 rows imported, 0 already imported, 0 failed"]), "\(terminal.screen)")
        #expect(terminal.waitForExit(timeout: 20))
        #expect(terminal.exitStatus == 0)
        #expect(try counts(try s.client()).profiles == 50)
        try expectStored(s, profiles: 50, contacts: 50)
    }

    @Test(arguments: TestBackend.Kind.allCases)
    func aBadHeaderImportsNothing(backend: TestBackend.Kind) throws {
        let s = try server(backend); defer { s.stop() }
        let c = try s.client()
        let path = try file("name,email,shoe_size\nAnna,anna@example.com,38\n", in: s)
        let run = try cli(["--port", "\(s.port)", "import", path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("line 1 (the header): column 3 of the header, 'shoe_size', is neither name, a channel"), "\(run.stderr)")
        #expect(try counts(c).profiles == 0)
        try expectStored(s, profiles: 0, contacts: 0)
    }
}

import ProfilesPostgres
import Testing

/// `--db` / `PROFILES_DB` parsing: no server needed.
@Suite struct PostgresURLTests {
    @Test func parsesTheFullForm() throws {
        let url = try PostgresURL(parsing: "postgres://app:s3cret@db.example.internal:6543/profiles")
        #expect(url.scheme == .postgres)
        #expect(url.user == "app")
        #expect(url.password == "s3cret")
        #expect(url.host == "db.example.internal")
        #expect(url.port == 6543)
        #expect(url.database == "profiles")
        #expect(url.socketDirectory == nil)
        #expect(url.unixSocketPath == nil)
        #expect(url.tlsMode == .prefer)
    }

    @Test func defaultsThePortAndTakesPostgresqlAndAnyCase() throws {
        let url = try PostgresURL(parsing: "PostgreSQL://app@localhost/profiles")
        #expect(url.scheme == .postgresql)
        #expect(url.port == 5432)
        #expect(url.password == nil)
    }

    @Test func aSocketDirectoryMakesTheSocketPath() throws {
        let url = try PostgresURL(parsing: "postgres://postgres@localhost:41234/profiles?host=/tmp/pg%20dir")
        #expect(url.socketDirectory == "/tmp/pg dir")
        #expect(url.unixSocketPath == "/tmp/pg dir/.s.PGSQL.41234")
        let configuration = url.clientConfiguration()
        #expect(configuration.unixSocketPath == "/tmp/pg dir/.s.PGSQL.41234")
        #expect(configuration.host == nil)
        #expect(configuration.username == "postgres")
        #expect(configuration.database == "profiles")
        // No host at all is fine with a socket directory (as libpq has it).
        let bare = try PostgresURL(parsing: "postgres://postgres@/profiles?host=/run/postgresql&port=5433")
        #expect(bare.unixSocketPath == "/run/postgresql/.s.PGSQL.5433")
    }

    @Test func percentDecodesUserPasswordAndDatabase() throws {
        let url = try PostgresURL(parsing: "postgres://j%C3%B6rg:p%40ss%3Aw%2Fo%25rd@[::1]:5433/my%20db")
        #expect(url.user == "jörg")
        #expect(url.password == "p@ss:w/o%rd")
        #expect(url.host == "::1")
        #expect(url.database == "my db")
        // An unencoded '@' in the password still parses: the last '@' ends it.
        #expect(try PostgresURL(parsing: "postgres://u:a@b@h/d").password == "a@b")
        // Round trip through the unredacted form.
        #expect(try PostgresURL(parsing: url.unredacted) == url)
    }

    @Test func theClientConfigurationCarriesTheCredentials() throws {
        let url = try PostgresURL(parsing: "postgres://app:pw@127.0.0.1:6000/data?sslmode=disable")
        let configuration = url.clientConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6000)
        #expect(configuration.username == "app")
        #expect(configuration.password == "pw")
        #expect(configuration.database == "data")
        #expect(url.tlsMode == .disable)
        _ = try url.connectionConfiguration()
    }

    @Test func thePasswordIsNeverShown() throws {
        let url = try PostgresURL(parsing: "postgres://app:hunter2@db:5432/profiles?host=/run/pg")
        #expect(url.redacted == "postgres://app:***@db:5432/profiles?host=/run/pg")
        #expect(url.description == url.redacted)
        #expect("\(url)".contains("hunter2") == false)
        #expect(String(reflecting: DatabaseLocation.postgres(url)).contains("hunter2") == false)
        #expect("\(DatabaseLocation.postgres(url))" == url.redacted)
        #expect(try PostgresURL(parsing: "postgres://app@db/profiles").redacted == "postgres://app@db:5432/profiles")
        // Nor does any parse error quote it.
        for bad in ["postgres://app:hunter2@db:99999/profiles", "postgres://app:hunter2@db/", "postgres://app:hunt%zzer2@db/p",
                    "postgres://app:hunter2@db/p?password=hunter2", "postgres://app:hunter2@db/p#hunter2",
                    "postgres://app:hunter2@d b/p"] {
            #expect(throws: PostgresURLError.self) { try PostgresURL(parsing: bad) }
            do {
                _ = try DatabaseLocation(parsing: bad)
                Issue.record("\(bad) parsed")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
                #expect(!error.description.contains("hunt"), "\(error)")
            }
        }
    }

    @Test(arguments: [
        ("postgres://localhost/profiles", PostgresURLError.missingUser),
        ("postgres://:pw@localhost/profiles", .missingUser),
        ("postgres://app@localhost", .missingDatabase),
        ("postgres://app@localhost/", .missingDatabase),
        ("postgres://app@/profiles", .missingHost),
        ("postgres://app@localhost:0/profiles", .badPort("0")),
        ("postgres://app@localhost:54x2/profiles", .badPort("54x2")),
        ("postgres://app@localhost:/profiles", .badPort("")),
        ("postgres://app@localhost/a/b", .badDatabase("the path has more than one segment; a database name's '/' must be written %2F")),
        ("postgres://app@localhost/pro%2", .badPercentEncoding(component: "database")),
        ("postgres://a%ZZ@localhost/p", .badPercentEncoding(component: "user")),
        ("postgres://app@localhost/p?host=relative/dir", .badParameter("host", "must be the absolute directory of the unix socket (host=/run/postgresql)")),
        ("postgres://app@localhost/p?sslmode=verify-full", .badParameter("sslmode", "must be one of disable, prefer, require, not 'verify-full'")),
        ("postgres://app@localhost/p?connect_timeout=3", .unknownParameter("connect_timeout")),
        ("postgres://app@[::1/p", .badHost("an IPv6 address opened with '[' is not closed")),
        ("mysql://app@localhost/p", .unsupportedScheme("mysql")),
    ])
    func malformedURLsNameWhatIsWrong(text: String, expected: PostgresURLError) {
        #expect(throws: expected) { try PostgresURL(parsing: text) }
        #expect(!expected.description.isEmpty)
    }

    @Test func databaseLocationTellsPathsFromURLs() throws {
        #expect(try DatabaseLocation(parsing: "./data/profiles.sqlite") == .sqlite(path: "./data/profiles.sqlite"))
        #expect(try DatabaseLocation(parsing: "/var/lib/profiles/a:b.sqlite") == .sqlite(path: "/var/lib/profiles/a:b.sqlite"))
        #expect(try DatabaseLocation(parsing: "postgres:") == .sqlite(path: "postgres:"))
        let url = try PostgresURL(parsing: "postgresql://app@localhost/profiles")
        #expect(try DatabaseLocation(parsing: "postgresql://app@localhost/profiles") == .postgres(url))
    }

    @Test func otherSchemesAreRefused() throws {
        for (value, scheme) in [("mysql://root@localhost/db", "mysql"), ("sqlite:///tmp/x.sqlite", "sqlite"),
                                ("file:///tmp/x.sqlite", "file"), ("HTTPS://example.com/db", "HTTPS")] {
            #expect(throws: DatabaseLocationError.unsupportedScheme(scheme)) { try DatabaseLocation(parsing: value) }
        }
        #expect(throws: DatabaseLocationError.unsupportedScheme(nil)) { try DatabaseLocation(parsing: "./odd://path") }
        #expect(throws: DatabaseLocationError.empty) { try DatabaseLocation(parsing: "") }
        let message = DatabaseLocationError.unsupportedScheme("mysql").description
        #expect(message.contains("'mysql://' is not supported"))
        #expect(message.contains("postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"))
    }

    @Test func aMalformedPostgresURLIsAnErrorNotAPath() {
        #expect(throws: DatabaseLocationError.malformedPostgresURL(.missingDatabase)) {
            try DatabaseLocation(parsing: "postgres://app@localhost")
        }
    }
}

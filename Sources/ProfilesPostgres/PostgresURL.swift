import PostgresNIO

/// A PostgreSQL connection URL as `--db` / `PROFILES_DB` take it (SPEC §10):
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE
///     postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE
///     postgres://USER@localhost:PORT/DATABASE?host=/run/postgresql
///
/// `?host=DIR` (an absolute directory) connects through the unix socket
/// `DIR/.s.PGSQL.PORT`, as libpq does; `?sslmode=disable|prefer|require`
/// chooses TLS for TCP (default `prefer`). User, password and database are
/// percent-decoded.
///
/// The password is never shown: `description` and `redacted` print `***`
/// in its place, and no parse error quotes it (issue 15: a password in the
/// URL never appears in a log line or in `stats`).
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Scheme: String, Sendable, CaseIterable {
        case postgres, postgresql
    }

    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    public static let defaultPort = 5432

    public var scheme: Scheme
    public var user: String
    public var password: String?
    /// The TCP host; may be empty when `socketDirectory` is set.
    public var host: String
    public var port: Int
    public var database: String
    /// From `?host=/dir`: connect by the unix socket in this directory.
    public var socketDirectory: String?
    public var tlsMode: TLSMode

    public init(scheme: Scheme = .postgres, user: String, password: String? = nil, host: String,
                port: Int = PostgresURL.defaultPort, database: String, socketDirectory: String? = nil,
                tlsMode: TLSMode = .prefer) {
        self.scheme = scheme
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.socketDirectory = socketDirectory
        self.tlsMode = tlsMode
    }

    /// `DIR/.s.PGSQL.PORT` when the URL names a socket directory.
    public var unixSocketPath: String? {
        socketDirectory.map { directory in
            (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/.s.PGSQL.\(port)"
        }
    }

    /// The URL with the password replaced by `***`: safe for logs.
    public var redacted: String {
        rendered(password: password == nil ? nil : "***")
    }

    public var description: String { redacted }
    public var debugDescription: String { "PostgresURL(\(redacted))" }

    /// The URL with its real password, for handing to another process
    /// (never log it).
    public var unredacted: String {
        rendered(password: password.map { Self.percentEncoded($0) })
    }

    private func rendered(password shownPassword: String?) -> String {
        var text = "\(scheme.rawValue)://\(Self.percentEncoded(user))"
        if let shownPassword { text += ":\(shownPassword)" }
        text += "@"
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)/\(Self.percentEncoded(database))"
        var query: [String] = []
        if let socketDirectory { query.append("host=\(Self.percentEncoded(socketDirectory, keeping: "/"))") }
        if tlsMode != .prefer { query.append("sslmode=\(tlsMode.rawValue)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    /// What `PostgresClient` needs to connect. Unix sockets never use TLS.
    public func clientConfiguration() -> PostgresClient.Configuration {
        if let unixSocketPath {
            return PostgresClient.Configuration(unixSocketPath: unixSocketPath, username: user,
                                                password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                            database: database, tls: tls)
    }

    /// The same for one `PostgresConnection` (LISTEN is on a connection,
    /// not on the client). Throws when a TLS context cannot be made.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let unixSocketPath {
            return PostgresConnection.Configuration(unixSocketPath: unixSocketPath, username: user,
                                                    password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                database: database, tls: tls)
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> PostgresURL {
        var copy = self
        copy.database = database
        return copy
    }
}

// MARK: - Parsing

extension PostgresURL {
    /// Parses a `postgres://` or `postgresql://` URL. Throws a
    /// `PostgresURLError` that names what is wrong and never quotes the
    /// password.
    public init(parsing text: String) throws(PostgresURLError) {
        guard let separator = text.range(of: "://") else { throw .notAURL }
        let schemeText = String(text[..<separator.lowerBound])
        guard let scheme = Scheme(rawValue: schemeText.lowercased()) else {
            throw .unsupportedScheme(schemeText)
        }
        var rest = Substring(text[separator.upperBound...])
        if rest.contains("#") { throw .fragment }

        var queryText: Substring?
        if let mark = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw .missingDatabase }
        let authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]

        // USER[:PASSWORD]@ — split at the last '@', so an unencoded '@' in
        // a password still parses.
        guard let at = authority.lastIndex(of: "@") else { throw .missingUser }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        let userText: Substring
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            userText = userInfo[..<colon]
            guard let decoded = Self.percentDecoded(userInfo[userInfo.index(after: colon)...]) else {
                throw .badPercentEncoding(component: "password")
            }
            password = decoded
        } else {
            userText = userInfo
        }
        guard let user = Self.percentDecoded(userText) else { throw .badPercentEncoding(component: "user") }
        guard !user.isEmpty else { throw .missingUser }

        // HOST[:PORT], HOST possibly an [IPv6] literal.
        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .badHost("an IPv6 address opened with '[' is not closed") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badHost("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .badHost("'\(host)' is not an IPv6 address")
            }
        } else {
            if let colon = hostPort.firstIndex(of: ":") {
                host = String(hostPort[..<colon])
                portText = hostPort[hostPort.index(after: colon)...]
            } else {
                host = String(hostPort)
            }
            if let bad = host.first(where: { !(($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" || $0 == "_") }) {
                throw .badHost("the host name holds '\(bad)'")
            }
        }
        var port = Self.defaultPort
        if let portText { port = try Self.port(portText) }

        guard !path.isEmpty else { throw .missingDatabase }
        guard !path.contains("/") else { throw .badDatabase("the path has more than one segment; a database name's '/' must be written %2F") }
        guard let database = Self.percentDecoded(path) else { throw .badPercentEncoding(component: "database") }
        guard !database.isEmpty else { throw .missingDatabase }

        var socketDirectory: String?
        var tlsMode = TLSMode.prefer
        if let queryText, !queryText.isEmpty {
            for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
                let key: Substring
                let valueText: Substring
                if let equals = pair.firstIndex(of: "=") {
                    key = pair[..<equals]
                    valueText = pair[pair.index(after: equals)...]
                } else {
                    throw .badParameter(String(pair), "is not NAME=VALUE")
                }
                guard let value = Self.percentDecoded(valueText) else {
                    throw .badPercentEncoding(component: "parameter \(key)")
                }
                switch key {
                case "host":
                    guard value.hasPrefix("/") else {
                        throw .badParameter("host", "must be the absolute directory of the unix socket (host=/run/postgresql)")
                    }
                    socketDirectory = value
                case "port":
                    port = try Self.port(Substring(value))
                case "sslmode":
                    guard let mode = TLSMode(rawValue: value) else {
                        throw .badParameter("sslmode", "must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(value)'")
                    }
                    tlsMode = mode
                default:
                    throw .unknownParameter(String(key))
                }
            }
        }
        guard !host.isEmpty || socketDirectory != nil else { throw .missingHost }
        if host.isEmpty { host = "localhost" }
        self.init(scheme: scheme, user: user, password: password, host: host, port: port, database: database,
                  socketDirectory: socketDirectory, tlsMode: tlsMode)
    }

    private static func port(_ text: Substring) throws(PostgresURLError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(text), (1...65535).contains(port) else {
            throw .badPort(String(text.prefix(16)))
        }
        return port
    }

    /// Percent-decoding as UTF-8; nil for a '%' not followed by two hex
    /// digits or bytes that are not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Unreserved characters (RFC 3986) stay, everything else is `%XX`.
    static func percentEncoded(_ text: String, keeping extra: String = "") -> String {
        let extraBytes = Set(extra.utf8)
        var out = ""
        for byte in text.utf8 {
            let unreserved = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved || extraBytes.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }
}

/// What is wrong with a PostgreSQL URL. The message names the part at
/// fault and never quotes the password.
public enum PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAURL
    case unsupportedScheme(String)
    case fragment
    case missingUser
    case missingHost
    case missingDatabase
    case badHost(String)
    case badPort(String)
    case badDatabase(String)
    case badPercentEncoding(component: String)
    case badParameter(String, String)
    case unknownParameter(String)

    static let form = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"

    public var description: String {
        switch self {
        case .notAURL:
            "not a URL: expected \(Self.form)"
        case .unsupportedScheme(let scheme):
            "unsupported scheme '\(scheme)://': use a SQLite file path or \(Self.form) (or postgresql://)"
        case .fragment:
            "a PostgreSQL URL takes no '#' fragment (write a '#' in the password as %23)"
        case .missingUser:
            "the PostgreSQL URL names no user: expected \(Self.form)"
        case .missingHost:
            "the PostgreSQL URL names no host (and no ?host=/socket/dir): expected \(Self.form)"
        case .missingDatabase:
            "the PostgreSQL URL names no database: expected \(Self.form)"
        case .badHost(let reason):
            "the PostgreSQL URL's host is malformed: \(reason)"
        case .badPort(let port):
            "the PostgreSQL URL's port '\(port)' is not a number from 1 to 65535"
        case .badDatabase(let reason):
            "the PostgreSQL URL's database is malformed: \(reason)"
        case .badPercentEncoding(let component):
            "the PostgreSQL URL's \(component) is not valid percent-encoding (a '%' must be followed by two hex digits, of UTF-8)"
        case .badParameter(let name, let reason):
            "the PostgreSQL URL's parameter '\(name)' \(reason)"
        case .unknownParameter(let name):
            "the PostgreSQL URL has the unknown parameter '\(name)' (known: host, port, sslmode)"
        }
    }
}

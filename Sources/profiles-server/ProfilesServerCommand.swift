import ArgumentParser
import Dispatch
import Foundation
import Logging
import Metrics
import ProfilesPostgres
import ProfilesServerKit
import Prometheus
import ProfilesSQLite
import ProfilesStore
#if canImport(Glibc)
import Glibc
#endif

@main
struct ProfilesServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles-server",
        abstract: "Customer profiles over newline-delimited JSON-RPC on TCP.",
        version: ProfilesServer.version,
        subcommands: [Serve.self, Backup.self, Migrate.self],
        defaultSubcommand: Serve.self
    )
}

/// Runs the server until SIGTERM or SIGINT.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server (the default). Every option can also come from its PROFILES_* variable.")

    @Option(help: "Address to bind. [env: PROFILES_HOST] (default: 127.0.0.1)")
    var host: String?
    @Option(help: "TCP port; 0 picks a free one. [env: PROFILES_PORT] (default: 7411)")
    var port: Int?
    @Option(help: "SQLite database file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (?host=/dir for a unix socket). [env: PROFILES_DB] (default: ./data/profiles.sqlite)")
    var db: String?
    @Option(help: "Most connections served at once. [env: PROFILES_MAX_CONNECTIONS] (default: 1024)")
    var maxConnections: Int?
    @Option(help: "Longest request line in bytes. [env: PROFILES_MAX_LINE_BYTES] (default: 1048576)")
    var maxLineBytes: Int?
    @Option(help: "Seconds before an idle connection is closed; 0 = never. [env: PROFILES_IDLE_TIMEOUT] (default: 300)")
    var idleTimeout: Double?
    @Option(help: "Most calls in one batch; a longer batch is refused whole. [env: PROFILES_MAX_BATCH] (default: 100)")
    var maxBatch: Int?
    @Option(help: "MiB kept for encoded profile.get answers; 0 = no cache. [env: PROFILES_ANSWER_CACHE_MB] (default: 64)")
    var answerCacheMb: Int?
    @Option(help: "SQLite synchronous level: full or normal. [env: PROFILES_SYNCHRONOUS] (default: full)")
    var synchronous: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical. [env: PROFILES_LOG_LEVEL] (default: info)")
    var logLevel: String?
    @Option(help: "Log lines as text or json (one object per line). [env: PROFILES_LOG_FORMAT] (default: text)")
    var logFormat: String?
    @Option(help: "Log calls that run at least this many milliseconds as warnings; 0 = every call, off = never. [env: PROFILES_SLOW_MS] (default: 100)")
    var slowMs: String?
    @Option(help: "Serve Prometheus metrics on GET /metrics at this port; 0 picks a free one (logged). [env: PROFILES_METRICS_PORT] (default: off)")
    var metricsPort: Int?
    @Option(help: "Address the metrics port binds. [env: PROFILES_METRICS_HOST] (default: 127.0.0.1)")
    var metricsHost: String?
    @Option(help: "How long change-feed events are kept: a number with s, m, h or d. [env: PROFILES_EVENTS_RETENTION] (default: 7d)")
    var eventsRetention: String?
    @Option(help: "Token file: lines 'TOKEN WORKSPACE[,WORKSPACE…]' ('*' = all). Turns on auth. [env: PROFILES_TOKENS]")
    var tokens: String?
    @Flag(help: "Without --tokens, allow binding a non-loopback address. [env: PROFILES_INSECURE=1]")
    var insecure = false

    /// Flag first, then environment, then the default.
    private func setting(_ flag: String?, _ env: String) -> String? {
        flag ?? ProcessInfo.processInfo.environment[env].flatMap { $0.isEmpty ? nil : $0 }
    }

    private func number<T: LosslessStringConvertible>(_ flag: T?, _ env: String, _ name: String, default value: T) throws -> T {
        if let flag { return flag }
        guard let text = setting(nil, env) else { return value }
        guard let parsed = T(text) else { throw ValidationError("\(env)=\(text) is not a valid value for --\(name)") }
        return parsed
    }

    /// "90s", "15m", "12h", "7d" in seconds.
    static func duration(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last.flatMap({ units[$0] }), let value = Double(text.dropLast()), value.isFinite else { return nil }
        return value * unit
    }

    enum LogFormat: String, CaseIterable {
        case text, json
    }

    func makeConfiguration() throws -> (ServerConfiguration, Logger.Level, LogFormat) {
        var config = ServerConfiguration()
        config.host = setting(host, "PROFILES_HOST") ?? config.host
        config.port = try number(port, "PROFILES_PORT", "port", default: config.port)
        if let value = setting(db, "PROFILES_DB") {
            switch checkedDatabaseLocation(value) {
            case .sqlite(let path): config.databasePath = path
            case .postgres(let url): config.postgresURL = url
            }
        }
        config.maxConnections = try number(maxConnections, "PROFILES_MAX_CONNECTIONS", "max-connections", default: config.maxConnections)
        config.maxLineBytes = try number(maxLineBytes, "PROFILES_MAX_LINE_BYTES", "max-line-bytes", default: config.maxLineBytes)
        config.idleTimeout = try number(idleTimeout, "PROFILES_IDLE_TIMEOUT", "idle-timeout", default: config.idleTimeout)
        config.maxBatch = try number(maxBatch, "PROFILES_MAX_BATCH", "max-batch", default: config.maxBatch)
        guard (0...65535).contains(config.port) else { throw ValidationError("--port must be 0...65535, not \(config.port)") }
        guard config.maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard config.maxLineBytes >= 64 else { throw ValidationError("--max-line-bytes must be at least 64") }
        guard config.idleTimeout >= 0 else { throw ValidationError("--idle-timeout must not be negative") }
        guard config.maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        config.answerCacheMegabytes = try number(answerCacheMb, "PROFILES_ANSWER_CACHE_MB", "answer-cache-mb",
                                                 default: config.answerCacheMegabytes)
        guard (0...65536).contains(config.answerCacheMegabytes) else {
            throw ValidationError("--answer-cache-mb must be 0...65536, not \(config.answerCacheMegabytes)")
        }
        let syncText = setting(synchronous, "PROFILES_SYNCHRONOUS") ?? "full"
        guard let sync = ProfilesDatabase.Synchronous(rawValue: syncText.lowercased()) else {
            throw ValidationError("--synchronous must be full or normal, not \(syncText)")
        }
        config.synchronous = sync
        config.tokensPath = setting(tokens, "PROFILES_TOKENS")
        config.insecure = insecure || ["1", "true", "yes"].contains(setting(nil, "PROFILES_INSECURE")?.lowercased() ?? "")
        let levelText = setting(logLevel, "PROFILES_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let formatText = setting(logFormat, "PROFILES_LOG_FORMAT") ?? "text"
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw ValidationError("--log-format must be text or json, not \(formatText)")
        }
        let slowText = setting(slowMs, "PROFILES_SLOW_MS") ?? "100"
        if slowText.lowercased() == "off" {
            config.slowRequestMilliseconds = nil
        } else {
            guard let slow = Double(slowText), slow.isFinite, slow >= 0 else {
                throw ValidationError("--slow-ms must be a number of milliseconds (0 or more) or off, not \(slowText)")
            }
            config.slowRequestMilliseconds = slow
        }
        if let metricsPortText = setting(metricsPort.map(String.init), "PROFILES_METRICS_PORT") {
            guard let port = Int(metricsPortText), (0...65535).contains(port) else {
                throw ValidationError("--metrics-port must be 0...65535, not \(metricsPortText)")
            }
            config.metricsPort = port
        }
        config.metricsHost = setting(metricsHost, "PROFILES_METRICS_HOST") ?? config.metricsHost
        if let retention = setting(eventsRetention, "PROFILES_EVENTS_RETENTION") {
            guard let seconds = Self.duration(retention), seconds > 0 else {
                throw ValidationError("--events-retention must be a positive number with s, m, h or d (e.g. 7d), not \(retention)")
            }
            config.eventsRetention = seconds
        }
        return (config, level, format)
    }

    /// `--db` / `PROFILES_DB`: a SQLite path, or a PostgreSQL URL. Another
    /// scheme or a malformed URL ends the process with status 2 and a
    /// message (the URL's password redacted) instead of becoming a folder
    /// named `postgres:`.
    func checkedDatabaseLocation(_ value: String) -> DatabaseLocation {
        do {
            return try DatabaseLocation(parsing: value)
        } catch {
            FileHandle.standardError.write(Data("profiles-server: error: --db: \(error)\n".utf8))
            Glibc.exit(2)
        }
    }

    func run() throws {
        let (config, level, format) = try makeConfiguration()
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let logger = Logger(label: "profiles")
        // One registry for the process: the server's own metrics and any
        // library's swift-metrics calls both end up on GET /metrics.
        var metricsRegistry: PrometheusCollectorRegistry?
        if config.metricsPort != nil {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            metricsRegistry = registry
        }
        signal(SIGPIPE, SIG_IGN)
        // SIGTERM/SIGINT are blocked before any thread exists (threads
        // inherit the mask) and taken with `sigwait` on this thread, never in
        // a signal handler, so shutdown may take locks and do I/O. A signal
        // sent at any point after this, even right after `listening on`, is
        // kept pending until it is waited for. (Dispatch signal sources
        // register asynchronously after `resume()`, and a signal arriving
        // before that either killed the process or was dropped by SIG_IGN.)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        let server: ProfilesServer
        do {
            server = try ProfilesServer(configuration: config, logger: logger, metricsRegistry: metricsRegistry)
            try server.start()
        } catch {
            logger.critical("cannot start: \(error)")
            Glibc.exit(1)
        }
        var sig: Int32 = 0
        while sigwait(&stopSignals, &sig) != 0 {}
        logger.info("received signal \(sig)")
        server.shutdown()
        Glibc.exit(0)
    }
}

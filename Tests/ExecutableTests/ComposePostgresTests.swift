import Foundation
import ProfilesPostgres
import Testing

/// docker/compose.postgres.yaml, docker/haproxy-nodes.cfg and
/// docker/haproxy.Dockerfile agree with each other and the repository (no
/// Docker engine here to run them): PostgreSQL, two nodes whose
/// PROFILES_DB names that database, a balancer over exactly those nodes,
/// and a healthcheck on every service. HAProxy's own check of the config
/// runs when `haproxy` is installed.
@Suite struct ComposePostgresTests {
    let root: URL
    let services: ComposeYAML

    init() throws {
        root = try DockerfileTests.packageRoot()
        let compose = try ComposeYAML.parse(try DockerfileTests.read(root, "docker/compose.postgres.yaml"))
        services = try #require(compose["services"])
    }

    @Test func everyServiceHasAHealthcheckAndTheNodesNameTheDatabase() throws {
        #expect(Set(services.keys) == ["postgres", "profiles-1", "profiles-2", "balancer"])
        for name in services.keys {
            let test = services[name]?["healthcheck"]?["test"]?.strings ?? []
            #expect(test.first == "CMD-SHELL" && test.count == 2, "\(name) has no shell healthcheck")
        }
        let database = try #require(services["postgres"]?["environment"])
        for node in ["profiles-1", "profiles-2"] {
            let text = try #require(services[node]?["environment"]?["PROFILES_DB"]?.string, "\(node) has no PROFILES_DB")
            let url = try PostgresURL(parsing: text)
            #expect(url.host == "postgres" && url.port == 5432)
            #expect(url.user == database["POSTGRES_USER"]?.string)
            #expect(url.password == database["POSTGRES_PASSWORD"]?.string)
            #expect(url.database == database["POSTGRES_DB"]?.string)
            #expect(services[node]?["volumes"] == nil, "\(node) keeps state in a volume; a node must hold nothing")
            #expect(services[node]?["depends_on"]?["postgres"]?["condition"]?.string == "service_healthy")
            #expect(services[node]?["healthcheck"]?["test"]?.strings?.last?.contains("profiles-cli call") == true)
        }
        #expect(services["profiles-1"]?["build"]?["dockerfile"]?.string == "docker/Dockerfile")
        #expect(services["balancer"]?["build"]?["dockerfile"]?.string == "docker/haproxy.Dockerfile")
        #expect(services["balancer"]?["ports"]?.strings == ["7411:7411"])
    }

    @Test func theBalancerServesExactlyTheNodes() throws {
        let dockerfile = try DockerfileTests.read(root, "docker/haproxy.Dockerfile")
        #expect(dockerfile.contains("apt-get install -y --no-install-recommends haproxy"))
        #expect(dockerfile.contains("COPY docker/haproxy-nodes.cfg /etc/haproxy/haproxy.cfg"))
        let config = try DockerfileTests.read(root, "docker/haproxy-nodes.cfg")
        let servers = config.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("server ") }.map { $0.split(separator: " ").map(String.init) }
        #expect(servers.map { $0[1] } == ["profiles-1", "profiles-2"])
        #expect(servers.map { $0[2] } == ["profiles-1:7411", "profiles-2:7411"])
        #expect(config.contains("mode tcp") && config.contains("bind :7411"))
        // HAProxy's own syntax check, where it is installed.
        let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if let haproxy {
            // The node names resolve only inside compose: check a copy that
            // points at loopback.
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("haproxy-\(UUID().uuidString).cfg")
            try config.replacingOccurrences(of: "profiles-1:7411", with: "127.0.0.1:7411")
                .replacingOccurrences(of: "profiles-2:7411", with: "127.0.0.1:7412")
                .write(to: copy, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: copy) }
            let run = try ChildProcess.run(URL(fileURLWithPath: haproxy), ["-c", "-f", copy.path], timeout: 20)
            #expect(run.status == 0, "haproxy -c: \(run.stderr)")
        }
    }
}

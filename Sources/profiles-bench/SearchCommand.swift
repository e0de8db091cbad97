import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Latency of `profile.list` (search and plain pages) and `profile.get`
/// against a running server, one request at a time on one connection.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Measure profile.list latency per query.")

    @Option var host = "127.0.0.1"
    @Option var port = 7411
    @Option(help: "Timed runs per case (after 3 warm-up runs).") var runs = 30
    @Option(help: "Highest profile id in the database, for profile.get and the deep page.") var profiles = 1_000_000
    @Flag(help: "Print a Markdown table.") var markdown = false

    func run() throws {
        let client = try BenchClient(host: host, port: port)
        var cases: [(String, String)] = [
            ("plain list, first page (name)", #"{"limit":50}"#),
            ("plain list, first page (recent)", #"{"sort":"recent","limit":50}"#),
        ]
        // A name that exists, read back from the server.
        let probe = try client.call("profile.get", "{\"id\":\(profiles / 3)}")
        guard let nameRange = probe.range(of: #""name":"[^"]*""#, options: .regularExpression) else {
            throw ValidationError("profile \(profiles / 3) not found; is --profiles right?")
        }
        let realName = String(probe[nameRange].dropFirst(8).dropLast()).lowercased()
        let queries = [
            ("common first name", "anna"), ("common first name, late in name order", "sophie"),
            ("inside a common first name", "phie"), ("common last name", "müller"), ("first + last name", "anna müller"),
            ("rare: one full name", realName), ("phone with +", "+49151\(String(format: "%08d", profiles / 4))"),
            ("phone without +", "49151\(String(format: "%08d", profiles / 5))"), ("phone, spaced", "+49 151 \(String(format: "%08d", profiles / 6))"),
            ("e-mail", "\(profiles / 7)@mail"), ("matches every profile", "example"), ("no match", "zzqqxx"),
            ("short (2 chars)", "an"), ("short (1 char)", "x"), ("short, no match", "qz"),
        ]
        for (label, query) in queries {
            cases.append(("query: \(label) '\(query)'", "{\"query\":\(jsonString(query)),\"limit\":50}"))
        }
        // Filters (issue 16), when the database has seed-fields' fields.
        if try client.call("field.list", "{}").contains(#""key":"customer_no""#) {
            let number = profiles / 3
            cases += [
                ("filter: one value of a unique number field", #"{"filter":{"customer_no":\#(number)},"limit":50}"#),
                ("filter: a range of 100 numbers", #"{"filter":{"customer_no":{"gt":\#(number),"lte":\#(number + 100)}},"limit":50}"#),
                ("filter: one day (~456 profiles)", #"{"filter":{"signup":"2023-03-14"},"limit":50}"#),
                ("filter: half the profiles, first page (name)", #"{"filter":{"plan":"pro"},"limit":50}"#),
                ("filter: half the profiles, first page (recent)", #"{"filter":{"plan":"pro"},"sort":"recent","limit":50}"#),
                ("filter: half, with query 'anna'", #"{"filter":{"plan":"pro"},"query":"anna","limit":50}"#),
                ("filter: half and one year", #"{"filter":{"plan":"pro","signup":{"gte":"2024-01-01","lt":"2025-01-01"}},"limit":50}"#),
                ("filter: half and one day", #"{"filter":{"plan":"pro","signup":"2023-03-14"},"limit":50}"#),
                ("filter: ne (every other)", #"{"filter":{"plan":{"ne":"pro"}},"limit":50}"#),
            ]
        }
        var rows: [(String, Stats, Int)] = []
        for (label, params) in cases {
            var times: [Double] = []
            var items = 0
            for run in 0..<(runs + 3) {
                let start = DispatchTime.now().uptimeNanoseconds
                let answer = try client.call("profile.list", params)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                if run >= 3 { times.append(ms) }
                items = answer.components(separatedBy: "\"contact_count\"").count - 1
                if answer.contains("\"error\"") { throw ValidationError("\(label) failed: \(answer)") }
            }
            rows.append((label, Stats(times), items))
        }
        var getTimes: [Double] = []
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<(runs * 10) {
            let id = Int.random(in: 1...profiles, using: &rng)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try client.call("profile.get", "{\"id\":\(id)}")
            getTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        rows.append(("profile.get by random id", Stats(getTimes), 1))
        if markdown {
            print("| case | items | p50 ms | p99 ms | max ms |")
            print("| --- | ---: | ---: | ---: | ---: |")
            for (label, s, items) in rows { print("| \(label) | \(items) | \(f(s.p50)) | \(f(s.p99)) | \(f(s.max)) |") }
        } else {
            for (label, s, items) in rows { print("\(label): items=\(items) p50=\(f(s.p50))ms p99=\(f(s.p99))ms max=\(f(s.max))ms") }
        }
    }

    private func f(_ v: Double) -> String { String(format: "%.2f", v) }
    private func jsonString(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), as: UTF8.self)
    }
}

struct Stats {
    let p50: Double, p99: Double, max: Double
    init(_ values: [Double]) {
        let sorted = values.sorted()
        func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        p50 = pct(0.5)
        p99 = pct(0.99)
        max = sorted.last ?? 0
    }
}

/// One blocking connection; one request, one answer line.
final class BenchClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID = 0

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else { throw ValidationError("cannot resolve \(host)") }
        defer { freeaddrinfo(first) }
        fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, 0)
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw ValidationError("cannot connect to \(host):\(port)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    func call(_ method: String, _ params: String) throws -> String {
        nextID += 1
        let line = Array("{\"id\":\(nextID),\"method\":\"\(method)\",\"params\":\(params)}\n".utf8)
        var offset = 0
        while offset < line.count {
            let n = line[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ValidationError("send failed") }
            offset += n
        }
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let answer = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return answer
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw ValidationError("connection closed") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}

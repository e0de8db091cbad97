import ArgumentParser
import Foundation
import GRDB
import ProfilesSQLite
import ProfilesStore

/// Generates a large database directly (not through the server, which
/// would take far longer): profiles with three contacts each, written the
/// way the store writes them, including the search documents.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Generate a benchmark database.")

    @Option(help: "Database file to create (must not exist).") var db: String
    @Option(help: "Number of profiles.") var profiles: Int = 1_000_000
    @Option(help: "Contacts per profile.") var contactsPerProfile: Int = 3
    @Option(help: "Workspace to fill.") var workspace: String = "default"

    func run() throws {
        guard !FileManager.default.fileExists(atPath: db) else { throw ValidationError("\(db) exists; pick a new path") }
        // Open once through the store so the schema is exactly the server's.
        try ProfilesDatabase(path: db, synchronous: .normal).close()
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144") }
        let queue = try DatabaseQueue(path: db, configuration: config)
        let started = Date()
        var generator = SeedData(seed: 42)
        let batch = 20_000
        var done = 0
        while done < profiles {
            let count = min(batch, profiles - done)
            try queue.inTransaction { db in
                let profile = try db.makeStatement(sql: """
                    INSERT INTO profiles(id, workspace, name, name_key, version, contact_count, created_at, updated_at, search_doc)
                    VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
                    """)
                let contact = try db.makeStatement(sql: """
                    INSERT INTO contacts(workspace, channel, identifier, name, profile_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                for i in 0..<count {
                    let id = Int64(done + i + 1)
                    let person = generator.person(number: id)
                    let at = Int64(1_700_000_000_000) + id * 1000
                    var doc = [person.name]
                    for (_, identifier) in person.contacts.prefix(contactsPerProfile) {
                        doc.append(identifier)
                        doc.append(person.name)
                    }
                    try profile.execute(arguments: [id, workspace, person.name, person.name.lowercased(), contactsPerProfile, at, at,
                                                    doc.joined(separator: "\n").lowercased()])
                    for (channel, identifier) in person.contacts.prefix(contactsPerProfile) {
                        try contact.execute(arguments: [workspace, channel, identifier, person.name, id, at])
                    }
                }
                return .commit
            }
            done += count
            let rate = Double(done) / Date().timeIntervalSince(started)
            FileHandle.standardError.write(Data("\rseeded \(done)/\(profiles) profiles (\(Int(rate))/s)".utf8))
        }
        try queue.writeWithoutTransaction { db in
            // No trigger indexes search_doc (the server updates the index
            // per batch): the index is built once, from the documents.
            try db.execute(sql: "INSERT INTO profile_search(profile_search) VALUES ('rebuild')")
            try db.execute(sql: "INSERT INTO profile_search(profile_search) VALUES ('optimize')")
            try db.execute(sql: "ANALYZE")
            _ = try db.checkpoint(.truncate)
        }
        FileHandle.standardError.write(Data("\ndone in \(Int(Date().timeIntervalSince(started))) s\n".utf8))
    }
}

/// Deterministic fake people: common first and last names (so searches
/// hit many rows), unique phone numbers and e-mail addresses.
struct SeedData {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    static let first = ["Anna", "Peter", "Maria", "Thomas", "Sophie", "Lukas", "Emma", "Jonas", "Mia", "Felix", "Lea", "Paul",
                        "Hannah", "Ben", "Laura", "Noah", "Julia", "Elias", "Sarah", "Leon", "Nina", "David", "Clara", "Tim",
                        "Eva", "Jan", "Lena", "Max", "Ida", "Finn", "Marta", "Oskar", "Greta", "Henri", "Ronja", "Emil",
                        "Jakob", "Frieda", "Anton", "Mila"]
    static let last = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
                       "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
                       "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Dubois", "Martin", "Bernard", "Rossi", "Russo",
                       "García", "López", "Novak", "Kowalski", "Nielsen", "Hansen", "Larsen", "Berg", "Lindqvist", "Virtanen"]

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func person(number: Int64) -> (name: String, contacts: [(String, String)]) {
        let first = Self.first[Int(next() % UInt64(Self.first.count))]
        let last = Self.last[Int(next() % UInt64(Self.last.count))]
        let name = "\(first) \(last) \(number)"
        let phone = "+49151\(String(format: "%08d", number))"
        let mail = "\(first).\(last.replacingOccurrences(of: " ", with: "")).\(number)@mail\(number % 50).example".lowercased()
        return (name, [("whatsapp", phone), ("email", mail), ("facebook", "fb.\(number)")])
    }
}

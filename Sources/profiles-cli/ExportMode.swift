import ArgumentParser
import Foundation
import ProfilesCLIKit
import ProfilesProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `profiles-cli export --csv`: every profile as a row of the columns
/// `import` reads (SPEC §12), on stdout.
struct ExportMode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every profile, with its contacts and field values, as CSV that import reads.",
        discussion: """
            Columns: name, then one per channel (email, whatsapp, facebook, instagram, telegram, \
            sms, voice, chat, custom), repeated as often as the profile with the most contacts on \
            that channel needs (each profile's contacts fill them in id order), then one per \
            defined field (field.list's order). Rows in name order. Contact names, notes and \
            moments are not written. The pages are read one after the other while writes may go \
            on, so the file is not one snapshot.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Write CSV (the one format there is; required so a later format can be added).") var csv = false
    @Option(help: "The workspace to export (default: the server's default for the connection).") var workspace: String?

    func validate() throws {
        guard csv else { throw ValidationError("say which format: --csv") }
    }

    func run() throws {
        let socket = BufferedSocket(connection.connectOrExit().socket)
        do {
            let fields = try socket.result("field.list", params([:]))
            var fieldKeys: [String] = []
            if case .array(let items)? = fields["items"] {
                fieldKeys = items.compactMap { if case .string(let key)? = $0["key"] { key } else { nil } }
            }
            let contacts = try pages(socket, "contact.list")
            var byProfile: [Int64: [JSONValue]] = [:]
            for contact in contacts {
                if case .int(let profileID)? = contact["profile_id"] { byProfile[profileID, default: []].append(contact) }
            }
            let profiles = try pages(socket, "profile.list")
            let table = CSVExportTable(fieldKeys: fieldKeys, contactsByProfile: byProfile)
            var out = CSVWriter.record(table.header)
            for profile in profiles {
                guard case .int(let id)? = profile["id"] else { continue }
                out += CSVWriter.record(table.row(profile: profile, contacts: byProfile[id] ?? []))
                if out.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(out.utf8))
                    out = ""
                }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        } catch {
            FileHandle.standardError.write(Data("profiles-cli: \(error)\n".utf8))
            if case .unreachable? = error as? ConnectionOptions.Failure { Glibc.exit(2) }
            Glibc.exit(1)
        }
        Glibc.exit(0)
    }

    private func params(_ members: [String: JSONValue]) -> JSONValue {
        var members = members
        if let workspace { members["workspace"] = .string(workspace) }
        return .object(members)
    }

    /// Every item of a list, page by page (500 a page).
    private func pages(_ socket: BufferedSocket, _ method: String) throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: JSONValue?
        repeat {
            var members: [String: JSONValue] = ["limit": 500]
            if let cursor { members["cursor"] = cursor }
            let page = try socket.result(method, params(members))
            if case .array(let more)? = page["items"] { items += more }
            // Not a `nil` literal: JSONValue takes one as its `.null`.
            if case .string(let next)? = page["next_cursor"] { cursor = .string(next) } else { cursor = nil }
        } while cursor != nil
        return items
    }
}

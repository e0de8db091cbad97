import Foundation
import Testing

/// Every file a document of the repository names is in the repository: a
/// reader of README.md or docs/ can open what they point to.
@Suite struct DocumentReferencesTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Files of the repository, skipping build folders, hidden folders and
    /// virtual environments.
    private static func files() -> [URL] {
        let skipped: Set<String> = [".build", ".git", ".venv", "node_modules"]
        var found: [URL] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = walker?.nextObject() as? URL {
            let name = url.lastPathComponent
            if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                if skipped.contains(name) || name.hasPrefix(".build") || (name.hasPrefix(".") && name != ".ci") { walker?.skipDescendants() }
                continue
            }
            found.append(url)
        }
        return found
    }

    private static func relative(_ url: URL) -> String {
        url.standardizedFileURL.path.replacingOccurrences(of: root.standardizedFileURL.path + "/", with: "")
    }

    @Test func namedFilesExistAndLinksResolve() throws {
        let all = Self.files()
        let names = Set(all.map(\.lastPathComponent))
        // The copies of the founders' notes name files of other projects
        // (GRDB's demo app, say) as examples; they are not checked.
        let copies: Set<String> = ["docs/SPEC.md", "docs/ENGINEERING.md"]
        let documents = all.filter { $0.pathExtension == "md" && !copies.contains(Self.relative($0)) }
        #expect(documents.count >= 5)
        let fileName = try Regex(#"[A-Za-z0-9_./+-]+\.(md|swift|sh|py|c|yaml|sql)\b"#)
        let link = try Regex(#"\]\(([^)#\s]+)(#[^)]*)?\)"#)
        for document in documents {
            let text = try String(contentsOf: document, encoding: .utf8)
            let shown = Self.relative(document)
            for match in text.matches(of: fileName) {
                let reference = String(text[match.range])
                if reference.hasPrefix("//") || reference.contains("://") { continue }
                let name = (reference as NSString).lastPathComponent
                let held = names.contains(name)
                #expect(held, "\(shown) names \(reference), which the repository does not hold")
            }
            for match in text.matches(of: link) {
                guard let target = match.output[1].substring.map(String.init), !target.contains(":") else { continue }
                let resolved = document.deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL
                let exists = FileManager.default.fileExists(atPath: resolved.path)
                #expect(exists, "\(shown) links to \(target), which does not exist")
            }
        }
    }
}

import Foundation
import Testing

/// The README's two commands work on a machine whose only C headers are
/// SQLite's: no target may need libedit's (or readline's) headers or a
/// system library found by pkg-config. profiles-cli loads libedit at run
/// time instead (Sources/profiles-cli/LibEdit.swift). These tests read the
/// repository; `scripts/check-bare-build.sh`, run by `.ci/run`, builds the
/// package with the headers hidden.
@Suite struct BareBuildTests {
    let root: URL

    init() throws { root = try DockerfileTests.packageRoot() }

    /// The manifest without its `//` comments.
    private func manifest() throws -> String {
        try DockerfileTests.read(root, "Package.swift").split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: "\n")
    }

    @Test func theManifestDeclaresNoSystemLibrary() throws {
        let manifest = try manifest()
        for forbidden in ["systemLibrary", "pkgConfig", "providers", ".apt(", ".brew(", ".yum(", "linkedLibrary", "unsafeFlags"] {
            #expect(!manifest.contains(forbidden), "Package.swift uses \(forbidden)")
        }
        #expect(!manifest.contains("CEditLine"))
    }

    @Test func noSourceIncludesLineEditingHeaders() throws {
        var checked = 0
        for folder in ["Sources", "Tests"] {
            let base = root.appendingPathComponent(folder)
            let files = try #require(FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil))
            for case let url as URL in files {
                guard ["swift", "h", "c", "cpp", "m", "modulemap"].contains(url.pathExtension) else { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                checked += 1
                let path = url.path.dropFirst(root.path.count + 1)
                for header in ["editline/", "histedit.h", "readline/", "readline.h"] where text.contains("#include <\(header)")
                    || text.contains("#include \"\(header)") {
                    Issue.record("\(path) includes \(header)")
                }
                #expect(!text.contains("import " + "CEditLine"), "\(path) imports CEditLine")
                if url.pathExtension == "modulemap" {
                    #expect(!text.contains("link \"edit\"") && !text.contains("link \"readline\""), "\(path) links libedit")
                }
            }
        }
        #expect(checked > 50)
    }

    @Test func setupAndCIInstallNoLibeditHeaders() throws {
        for path in ["README.md", ".ci/run", "docker/Dockerfile", "docker/README.md"] {
            #expect(!(try DockerfileTests.read(root, path)).contains("libedit-dev"), "\(path) still names libedit-dev")
        }
        // CI builds the package with the headers hidden.
        let ci = try DockerfileTests.read(root, ".ci/run")
        #expect(ci.contains("scripts/check-bare-build.sh"), ".ci/run does not run scripts/check-bare-build.sh")
        let script = root.appendingPathComponent("scripts/check-bare-build.sh").path
        #expect(FileManager.default.isExecutableFile(atPath: script))
        let text = try String(contentsOfFile: script, encoding: .utf8)
        #expect(text.contains("/usr/include/editline") && text.contains("--scratch-path"))
    }
}

import Foundation

/// A Dockerfile read the way Docker reads it: comment lines dropped,
/// backslash-continued lines joined, one instruction per logical line,
/// split into build stages at each `FROM`.
struct Dockerfile {
    struct Instruction {
        /// Upper-cased, e.g. `RUN`.
        let keyword: String
        /// The rest of the logical line, continuations joined with a space.
        let arguments: String
        /// Where it starts, for messages.
        let line: Int
    }

    let stages: [[Instruction]]

    init(text: String) {
        var instructions: [Instruction] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            // Docker drops comment lines even inside a continued instruction.
            if line.hasPrefix("#") || (line.isEmpty && pending.isEmpty) { continue }
            if pending.isEmpty { start = index + 1 }
            if line.hasSuffix("\\") {
                pending += line.dropLast().trimmingCharacters(in: .whitespaces) + " "
                continue
            }
            let logical = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            guard !logical.isEmpty else { continue }
            let parts = logical.split(separator: " ", maxSplits: 1)
            instructions.append(Instruction(keyword: parts[0].uppercased(),
                                            arguments: parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "",
                                            line: start))
        }
        var stages: [[Instruction]] = []
        for instruction in instructions {
            if instruction.keyword == "FROM" || stages.isEmpty { stages.append([]) }
            stages[stages.count - 1].append(instruction)
        }
        self.stages = stages
    }

    /// The stage whose image is the result: the last one.
    var finalStage: [Instruction] { stages.last ?? [] }

    /// The instructions of `stage` with `keyword`.
    static func instructions(_ keyword: String, in stage: [Instruction]) -> [Instruction] {
        stage.filter { $0.keyword == keyword }
    }

    /// `["a", "b"]` (exec form) as its elements; nil for the shell form.
    static func execForm(_ arguments: String) -> [String]? {
        guard arguments.hasPrefix("["),
              let array = try? JSONSerialization.jsonObject(with: Data(arguments.utf8)) as? [String] else { return nil }
        return array
    }

    /// The command a `HEALTHCHECK` runs, as an argv: exec form as it is,
    /// shell form under `/bin/sh -c` as Docker runs it. Nil for `NONE`.
    static func healthcheckCommand(_ arguments: String) -> [String]? {
        let words = arguments.split(separator: " ", omittingEmptySubsequences: true)
        guard let index = words.firstIndex(where: { $0.uppercased() == "CMD" }) else { return nil }
        let command = words[(index + 1)...].joined(separator: " ")
        return execForm(command) ?? ["/bin/sh", "-c", command]
    }

    /// `ENV` pairs of `stage`, in both `KEY=value …` and `KEY value` forms.
    static func environment(of stage: [Instruction]) -> [String: String] {
        var env: [String: String] = [:]
        for instruction in instructions("ENV", in: stage) {
            let words = instruction.arguments.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if let first = words.first, !first.contains("=") {
                env[first] = words.dropFirst().joined(separator: " ")
                continue
            }
            for word in words {
                let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { env[pair[0]] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            }
        }
        return env
    }

    /// The source paths of the `COPY`/`ADD` instructions of every stage that
    /// read the build context (not `--from=` another stage or image).
    var contextSources: [(path: String, line: Int)] {
        stages.flatMap { stage in
            stage.filter { $0.keyword == "COPY" || $0.keyword == "ADD" }.flatMap { instruction -> [(path: String, line: Int)] in
                let words = instruction.arguments.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                if words.contains(where: { $0.hasPrefix("--from=") }) { return [] }
                let operands = Dockerfile.execForm(instruction.arguments) ?? words.filter { !$0.hasPrefix("--") }
                return operands.dropLast().map { (path: $0, line: instruction.line) }
            }
        }
    }
}

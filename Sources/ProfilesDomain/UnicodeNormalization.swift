import Foundation

extension String {
    /// The text in Unicode NFC (canonical composition), SPEC §6. Channels'
    /// APIs send the same name precomposed or decomposed ("ü" as one code
    /// point or as "u" plus a combining diaeresis); SQLite compares bytes,
    /// so everything stored, compared or searched must be in one form.
    /// ASCII is NFC already and is returned as it is.
    public var nfc: String {
        if utf8.allSatisfy({ $0 < 0x80 }) { return self }
        return precomposedStringWithCanonicalMapping
    }

    /// Whether the text holds a bidirectional embedding, override or
    /// isolate control (U+202A–U+202E, U+2066–U+2069). They reorder what
    /// an agent sees on screen ("Trojan Source"), so a name could show as
    /// another; right-to-left names need none of them.
    public var containsBidiControl: Bool {
        unicodeScalars.contains { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }
    }
}

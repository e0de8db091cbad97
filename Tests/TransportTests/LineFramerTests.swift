import Testing
@testable import ProfilesTransport

@Suite struct LineFramerTests {
    private func lines(_ framer: inout LineFramer) throws -> [String] {
        var out: [String] = []
        while let line = try framer.nextLine() { out.append(String(decoding: line, as: UTF8.self)) }
        return out
    }

    @Test func splitsOnNewlineAndCRLF() throws {
        var framer = LineFramer(maxLineBytes: 100)
        framer.append(Array("a\nbb\r\nccc\n".utf8))
        #expect(try lines(&framer) == ["a", "bb", "ccc"])
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func feedsByteByByte() throws {
        var framer = LineFramer(maxLineBytes: 100)
        var got: [String] = []
        for byte in Array("{\"id\":1}\r\n\n{\"id\":2}\n".utf8) {
            framer.append([byte])
            got += try lines(&framer)
        }
        #expect(got == ["{\"id\":1}", "", "{\"id\":2}"])
    }

    @Test func crSplitFromLFAcrossChunks() throws {
        var framer = LineFramer(maxLineBytes: 3)
        framer.append(Array("abc\r".utf8))
        #expect(try framer.nextLine() == nil)
        framer.append(Array("\n".utf8))
        #expect(try lines(&framer) == ["abc"])
    }

    @Test func loneCRInsideLineIsKept() throws {
        var framer = LineFramer(maxLineBytes: 100)
        framer.append(Array("a\rb\n".utf8))
        #expect(try lines(&framer) == ["a\rb"])
    }

    @Test func lineAtLimitPassesAndOverLimitFails() throws {
        var framer = LineFramer(maxLineBytes: 4)
        framer.append(Array("abcd\n".utf8))
        #expect(try lines(&framer) == ["abcd"])
        framer.append(Array("abcde\n".utf8))
        #expect(throws: LineFramer.Failure.lineTooLong(limit: 4)) { try framer.nextLine() }
    }

    @Test func overLimitDetectedWithoutNewline() throws {
        var framer = LineFramer(maxLineBytes: 4)
        for byte in Array("abcdef".utf8) {
            framer.append([byte])
            if framer.bufferedByteCount > 5 {
                #expect(throws: LineFramer.Failure.lineTooLong(limit: 4)) { try framer.nextLine() }
                return
            }
            #expect(try framer.nextLine() == nil)
        }
        Issue.record("the framer buffered more than the limit without failing")
    }

    @Test func remainderIsTheUnterminatedTail() throws {
        var framer = LineFramer(maxLineBytes: 100)
        framer.append(Array("one\ntwo".utf8))
        #expect(try lines(&framer) == ["one"])
        #expect(framer.takeRemainder().map { String(decoding: $0, as: UTF8.self) } == "two")
        #expect(framer.takeRemainder() == nil)
    }

    @Test func manyLinesCompactTheBuffer() throws {
        var framer = LineFramer(maxLineBytes: 100)
        var count = 0
        for i in 0..<10_000 {
            framer.append(Array("line \(i)\n".utf8))
            count += try lines(&framer).count
        }
        #expect(count == 10_000)
        #expect(framer.bufferedByteCount == 0)
    }
}

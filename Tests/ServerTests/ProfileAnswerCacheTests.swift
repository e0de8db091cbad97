import ProfilesBus
import ProfilesSQLite
import ProfilesStore
import Testing

/// The cache's own rules, without a server: what a commit invalidates is
/// gone, and an answer read before an invalidation is never kept after it
/// (the reader may have read the snapshot from before that commit).
@Suite struct ProfileAnswerCacheTests {
    private func answer(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func hit(_ cache: ProfileAnswerCache, _ id: Int64, _ workspace: String = "default") -> [UInt8]? {
        if case .hit(let bytes)? = cache.lookup(id: id, workspace: workspace) { return bytes }
        return nil
    }

    private func miss(_ cache: ProfileAnswerCache, _ id: Int64, _ workspace: String = "default") throws -> ProfileAnswerCache.Miss {
        guard case .miss(let miss)? = cache.lookup(id: id, workspace: workspace) else {
            Issue.record("expected a miss for \(id)")
            throw CancellationError()
        }
        return miss
    }

    @Test func storedAnswersAreHitsInTheirWorkspaceOnly() throws {
        let cache = ProfileAnswerCache(budgetBytes: 1 << 20)
        cache.store(id: 7, workspace: "default", answer: answer(#"{"id":7}"#), after: try miss(cache, 7))
        #expect(hit(cache, 7) == answer(#"{"id":7}"#))
        #expect(hit(cache, 7, "other") == nil)
        #expect(hit(cache, 8) == nil)
    }

    @Test func aCommitDropsWhatItChanged() throws {
        let cache = ProfileAnswerCache(budgetBytes: 1 << 20)
        for id: Int64 in 1...40 { cache.store(id: id, workspace: "default", answer: answer("\(id)"), after: try miss(cache, id)) }
        cache.invalidate(ProfileChanges(ids: [3, 17], all: false))
        #expect(hit(cache, 3) == nil)
        #expect(hit(cache, 17) == nil)
        #expect(hit(cache, 4) == answer("4"))
        cache.invalidate(ProfileChanges(ids: [], all: true))
        #expect((1...40).allSatisfy { hit(cache, $0) == nil })
    }

    /// The race the epoch closes: read (old snapshot), commit and
    /// invalidate, then store what was read. It must not be kept.
    @Test func anAnswerReadBeforeAnInvalidationIsNotKept() throws {
        let cache = ProfileAnswerCache(budgetBytes: 1 << 20)
        let before = try miss(cache, 5)
        cache.invalidate(ProfileChanges(ids: [5], all: false))
        cache.store(id: 5, workspace: "default", answer: answer("stale"), after: before)
        #expect(hit(cache, 5) == nil)
        let everything = try miss(cache, 6)
        cache.invalidate(ProfileChanges(ids: [], all: true))
        cache.store(id: 6, workspace: "default", answer: answer("stale"), after: everything)
        #expect(hit(cache, 6) == nil)
    }

    @Test func memoryStaysWithinTheBudget() throws {
        let cache = ProfileAnswerCache(budgetBytes: 64 * 1024)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        for id: Int64 in 1...1000 { cache.store(id: id, workspace: "default", answer: big, after: try miss(cache, id)) }
        let kept = (1...1000).filter { hit(cache, Int64($0)) != nil }.count
        // 16 shards of 4 KiB, ~1.1 KB an entry: a few per shard.
        #expect(kept > 0 && kept <= 64)
        #expect(!ProfileAnswerCache(budgetBytes: 0).isEnabled)
    }
}

import Foundation
import ProfilesProtocol
import ProfilesStore

/// The encoded answers of `profile.get` without `include`, by profile id:
/// a hit costs a dictionary lookup instead of a SQL statement and the
/// encoding.
///
/// Never stale once a write is acknowledged: the store tells the cache
/// which profiles each commit changed (`ProfileChangeSignal`) after the
/// commit and before any write of it is answered, and those entries are
/// dropped. A reader that missed may have read a snapshot from before
/// that commit; so each shard counts its invalidations (`epoch`), a
/// reader notes the count before it reads, and its answer is kept only if
/// no invalidation of its shard came in between.
///
/// No lock is shared by every connection: entries are spread over
/// `shardCount` shards by id, each with a lock of its own. Memory is
/// bounded by `budgetBytes`; a full shard drops arbitrary entries.
///
/// `@unchecked Sendable`: each shard's state is guarded by its lock.
public final class ProfileAnswerCache: @unchecked Sendable {
    static let shardCount = 16

    private final class Shard: @unchecked Sendable {
        let lock = NSLock()
        var entries: [Int64: Entry] = [:]
        var bytes = 0
        var epoch: UInt64 = 0
    }

    private struct Entry {
        let workspace: String
        let answer: [UInt8]
        var cost: Int { answer.count + workspace.utf8.count + 64 }
    }

    private let shards: [Shard]
    private let shardBudget: Int

    /// `budgetBytes` 0 disables the cache.
    public init(budgetBytes: Int) {
        shards = (0..<Self.shardCount).map { _ in Shard() }
        shardBudget = budgetBytes / Self.shardCount
    }

    public var isEnabled: Bool { shardBudget > 0 }

    /// What a miss needs to store its answer later.
    public struct Miss: Sendable {
        fileprivate let epoch: UInt64
    }

    public enum Lookup: Sendable {
        case hit([UInt8])
        /// Read the answer, then hand it to `store` with this.
        case miss(Miss)
    }

    /// The cached answer, or a `Miss` to pass to `store`; nil when the
    /// cache is off.
    public func lookup(id: Int64, workspace: String) -> Lookup? {
        guard isEnabled else { return nil }
        let shard = shard(id)
        return shard.lock.withLock {
            if let entry = shard.entries[id], entry.workspace == workspace { return .hit(entry.answer) }
            return .miss(Miss(epoch: shard.epoch))
        }
    }

    /// Keeps `answer`, read after `lookup` gave `miss`, unless a commit
    /// changed profiles of its shard since.
    public func store(id: Int64, workspace: String, answer: [UInt8], after miss: Miss) {
        let shard = shard(id)
        let entry = Entry(workspace: workspace, answer: answer)
        guard entry.cost <= shardBudget else { return }
        shard.lock.withLock {
            guard shard.epoch == miss.epoch else { return }
            if let old = shard.entries.updateValue(entry, forKey: id) { shard.bytes -= old.cost }
            shard.bytes += entry.cost
            while shard.bytes > shardBudget, let victim = shard.entries.first(where: { $0.key != id }) {
                shard.entries.removeValue(forKey: victim.key)
                shard.bytes -= victim.value.cost
            }
        }
    }

    /// Drops what `changes` may have changed; called by the store after
    /// the commit and before its writes are answered.
    public func invalidate(_ changes: ProfileChanges) {
        if changes.all {
            for shard in shards { shard.lock.withLock { clear(shard) } }
            return
        }
        for id in changes.ids {
            let shard = shard(id)
            shard.lock.withLock {
                shard.epoch &+= 1
                if let old = shard.entries.removeValue(forKey: id) { shard.bytes -= old.cost }
            }
        }
    }

    private func clear(_ shard: Shard) {
        shard.epoch &+= 1
        shard.entries.removeAll()
        shard.bytes = 0
    }

    private func shard(_ id: Int64) -> Shard {
        shards[Int(UInt64(bitPattern: id) % UInt64(Self.shardCount))]
    }
}

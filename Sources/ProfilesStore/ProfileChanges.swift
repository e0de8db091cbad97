import ProfilesDomain

/// Which profiles a committed batch changed, as far as `profile.get`
/// shows them: their row, their field values, or a field definition (a
/// value's type is read from it). Observers (the bus's answer cache) are
/// told after the commit and before any write of the batch is answered.
public struct ProfileChanges: Sendable {
    /// Profiles whose row or field values the batch inserted, changed or
    /// deleted.
    public let ids: [Int64]
    /// A field definition changed: any profile may read differently.
    public let all: Bool

    public init(ids: [Int64], all: Bool) {
        self.ids = ids
        self.all = all
    }
}

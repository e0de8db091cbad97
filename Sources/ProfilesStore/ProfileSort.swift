import ProfilesDomain

/// How `profile.list` orders its items.
public enum ProfileSort: String, Sendable, CaseIterable {
    /// By name, case-insensitively, then id.
    case name
    /// Most recently changed first (`updated_at`, then id, descending).
    case recent
}

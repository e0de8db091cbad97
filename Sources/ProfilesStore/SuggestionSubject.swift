import ProfilesDomain

/// Whose duplicates `profile.suggestions` looks for.
public enum SuggestionSubject: Sendable {
    case profile(Int64)
    case contact(Int64)
}

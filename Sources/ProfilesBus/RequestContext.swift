/// Everything a handler may know about the call besides its params.
public struct RequestContext: Sendable {
    /// The workspace the call acts on, already validated.
    public let workspace: String
    public let session: Session
    /// The bus running the call, for introspection (`hello`).
    public let bus: CommandBus
}

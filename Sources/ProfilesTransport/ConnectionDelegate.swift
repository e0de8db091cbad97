/// What a connection tells the layer above. Every call arrives on the
/// connection's serial queue, one at a time.
public protocol ConnectionDelegate: AnyObject {
    /// One complete line, without its terminator. Blank lines are included.
    func connection(_ connection: Connection, didReceiveLine line: ArraySlice<UInt8>)
    /// A line exceeded the limit. The delegate may `send` a last answer;
    /// the connection then closes after flushing it.
    func connectionDidExceedLineLimit(_ connection: Connection, limit: Int)
    /// The connection is gone; no further calls follow.
    func connectionDidClose(_ connection: Connection)
    /// While input is held (`holdInput`), the unsent output has dropped to
    /// half the output limit or below: the delegate may produce more.
    func connectionDidDrainOutput(_ connection: Connection)
}

extension ConnectionDelegate {
    public func connectionDidDrainOutput(_ connection: Connection) {}
}

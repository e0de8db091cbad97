/// A method's result: what a response carries after `"result":`.
///
/// Resolved when the conformance is declared, not per response: a type
/// that is also `JSONWritable` writes itself straight into the line; any
/// other goes through `JSONEncoder` (sorted keys). A dynamic cast to
/// `JSONWritable` per response cost about 1,500 instructions of a ping.
public protocol RPCResult: Encodable, Sendable {
    func writeResult(into bytes: inout [UInt8]) throws
}

extension RPCResult {
    public func writeResult(into bytes: inout [UInt8]) throws {
        try Envelope.appendEncoded(self, to: &bytes)
    }
}

extension RPCResult where Self: JSONWritable {
    public func writeResult(into bytes: inout [UInt8]) throws {
        try writeJSON(to: &bytes)
    }
}

extension String: RPCResult {}
extension Bool: RPCResult {}
extension Int: RPCResult {}
extension Int64: RPCResult {}
extension JSONValue: RPCResult {}

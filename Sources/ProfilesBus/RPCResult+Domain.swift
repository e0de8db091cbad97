import ProfilesDomain
import ProfilesProtocol

// Every type a handler answers with. Those that are also `JSONWritable`
// (JSONWritable+Domain.swift) write themselves; the rest are encoded by
// `JSONEncoder` (RPCResult says why this is settled here, not per call).

extension Profile: RPCResult {}
extension ProfileDetail: RPCResult {}
extension ProfileDeletion: RPCResult {}
extension ProfileErasure: RPCResult {}
extension ProfileExport: RPCResult {}
extension ProfileMerge: RPCResult {}
extension ProfileUnmerge: RPCResult {}
extension ProfileSuggestions: RPCResult {}
extension Contact: RPCResult {}
extension ContactUpsert: RPCResult {}
extension ContactDeletion: RPCResult {}
extension ContactDetachment: RPCResult {}
extension Note: RPCResult {}
extension NoteDeletion: RPCResult {}
extension Moment: RPCResult {}
extension FieldDefinition: RPCResult {}
extension FieldDeletion: RPCResult {}
extension FieldList: RPCResult {}
extension Page: RPCResult where Item: JSONWritable {}
extension Hello: RPCResult {}
extension Health: RPCResult {}
extension Stats: RPCResult {}
extension AuthResult: RPCResult {}
extension EventPage: RPCResult {}
extension EncodedAnswer: RPCResult {}

import Testing
import ProfilesDomain

/// `UnmergePlan`, the part of profile.unmerge both stores share: what
/// goes back, and what is reported instead because it changed since.
@Suite struct UnmergePlanTests {
    private let into: Int64 = 10
    private let record = MergeRecord(
        id: 3, into: 10,
        absorbed: .init(id: 11, name: "P. Meier", fields: ["city": .string("Bern"), "tier": .string("silver"), "score": .number(7)],
                        createdAt: Timestamp(milliseconds: 1_000), version: 4),
        movedContactIDs: [1, 2, 3, 4], movedNoteIDs: [5, 6], takenFields: ["city": .string("Bern"), "score": .number(7)],
        mergedAt: Timestamp(milliseconds: 2_000), unmergedAt: nil)

    private func definitions(tierOptions: [String] = ["gold", "silver"], withScore: Bool = true) -> [String: FieldDefinition] {
        var all = [
            "city": FieldDefinition(key: "city", label: "City", type: .text, options: nil, required: false),
            "tier": FieldDefinition(key: "tier", label: "Tier", type: .select, options: tierOptions, required: false),
        ]
        if withScore { all["score"] = FieldDefinition(key: "score", label: "Score", type: .number, options: nil, required: false) }
        return all
    }

    @Test func whatIsStillAsTheMergeLeftItGoesBack() {
        let plan = UnmergePlan(record: record, now: .init(
            survivorFields: ["city": .string("Bern"), "score": .number(7), "tier": .string("gold")],
            contactOwners: [1: into, 2: into, 3: into, 4: into], noteOwners: [5: into, 6: into], definitions: definitions()))
        #expect(plan.conflicts.isEmpty)
        #expect(plan.restoredFields == record.absorbed.fields)
        #expect(plan.removedFields == ["city", "score"])
        #expect(plan.restoredContactIDs == [1, 2, 3, 4])
        #expect(plan.restoredNoteIDs == [5, 6])
        #expect(plan.changesSurvivor)
    }

    @Test func whatChangedSinceIsReportedInKeyThenIdOrder() {
        let plan = UnmergePlan(record: record, now: .init(
            survivorFields: ["city": .string("Basel"), "tier": .string("gold")],
            contactOwners: [1: into, 2: nil, 4: 99], noteOwners: [6: 98], definitions: definitions()))
        #expect(plan.conflicts == [
            .fieldChanged(key: "city", taken: .string("Bern"), current: .string("Basel")),
            .fieldChanged(key: "score", taken: .number(7), current: nil),
            .contactMoved(contactID: 2, profileID: nil),
            .contactDeleted(contactID: 3),
            .contactMoved(contactID: 4, profileID: 99),
            .noteDeleted(noteID: 5),
            .noteMoved(noteID: 6, profileID: 98),
        ])
        #expect(plan.removedFields.isEmpty)
        #expect(plan.restoredContactIDs == [1])
        #expect(plan.restoredNoteIDs.isEmpty)
    }

    @Test func aValueItsFieldNoLongerAcceptsIsNotRestored() {
        let plan = UnmergePlan(record: record, now: .init(
            survivorFields: ["city": .string("Bern")], contactOwners: [:], noteOwners: [:],
            definitions: definitions(tierOptions: ["gold"], withScore: false)))
        #expect(plan.restoredFields == ["city": .string("Bern")])
        #expect(plan.removedFields == ["city"])
        // A deleted field took the survivor's value with it: only the absorbed side is reported.
        #expect(plan.conflicts.count == 2 + 4 + 2)
        guard case .fieldNotRestored(key: "score", value: .number(7), reason: let gone)? = plan.conflicts.first else {
            Issue.record("\(plan.conflicts)")
            return
        }
        #expect(gone == "field score is no longer defined")
        guard case .fieldNotRestored(key: "tier", value: .string("silver"), reason: _) = plan.conflicts[1] else {
            Issue.record("\(plan.conflicts)")
            return
        }
    }

    @Test func aMergeIsUndoneOnceAndOnlyWhileItsSurvivorExists() {
        #expect(throws: DomainError.self) { try UnmergePlan.check(record, survivorExists: false, absorbedExists: false) }
        #expect(throws: DomainError.self) { try UnmergePlan.check(record, survivorExists: true, absorbedExists: true) }
        let undone = MergeRecord(id: 3, into: 10, absorbed: record.absorbed, movedContactIDs: [], movedNoteIDs: [], takenFields: [:],
                                 mergedAt: record.mergedAt, unmergedAt: Timestamp(milliseconds: 3_000))
        do throws(DomainError) {
            try UnmergePlan.check(undone, survivorExists: true, absorbedExists: false)
            Issue.record("a second unmerge was allowed")
        } catch {
            #expect(error.kind == .conflict)
            #expect(error.reason == "already_unmerged")
        }
        #expect(throws: Never.self) { try UnmergePlan.check(record, survivorExists: true, absorbedExists: false) }
    }
}

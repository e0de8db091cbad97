import ProfilesStore

extension CommandBus.Registry {
    /// Every method the service offers, area by area.
    /// `answerCacheBytes`: memory for encoded `profile.get` answers (0: none).
    public mutating func registerAllMethods(database: ProfilesDatabase, info: ServerInfo, tokens: TokenFile?, feed: EventFeed,
                                            answerCacheBytes: Int = 64 << 20) {
        let cache = ProfileAnswerCache(budgetBytes: answerCacheBytes)
        database.profileChanges.observe { cache.invalidate($0) }
        registerSystemMethods(database: database, info: info)
        registerAuthMethods(tokens: tokens)
        registerProfileMethods(database: database, cache: cache)
        registerContactMethods(database: database)
        registerNoteMethods(database: database)
        registerMomentMethods(database: database)
        registerFieldMethods(database: database)
        registerEventMethods(database: database, feed: feed)
    }
}

import ProfilesStore

extension CommandBus.Registry {
    /// Every method the service offers, area by area.
    /// `answerCacheBytes`: memory for encoded `profile.get` answers (0:
    /// none); only a store that tells every commit's changes
    /// (`profileChanges`) and reads at once (`inlineReads`: the cache is
    /// filled by profile.get's fast path) gets a cache.
    public mutating func registerAllMethods(store: any ProfileStore, info: ServerInfo, tokens: TokenFile?, feed: EventFeed,
                                            answerCacheBytes: Int = 64 << 20) {
        storeExecutor = store.executor
        var cache: ProfileAnswerCache?
        if let changes = store.profileChanges, store.inlineReads != nil, answerCacheBytes > 0 {
            let answers = ProfileAnswerCache(budgetBytes: answerCacheBytes)
            changes.observe { answers.invalidate($0) }
            cache = answers
        }
        registerSystemMethods(store: store, info: info)
        registerAuthMethods(tokens: tokens)
        registerProfileMethods(store: store, cache: cache)
        registerHistoryMethods(store: store)
        registerContactMethods(store: store)
        registerNoteMethods(store: store)
        registerMomentMethods(store: store)
        registerFieldMethods(store: store)
        registerEventMethods(store: store, feed: feed)
    }
}

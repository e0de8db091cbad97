import ProfilesStore

extension CommandBus.Registry {
    /// Every method the service offers, area by area.
    public mutating func registerAllMethods(database: ProfilesDatabase, info: ServerInfo, tokens: TokenFile?, feed: EventFeed) {
        registerSystemMethods(database: database, info: info)
        registerAuthMethods(tokens: tokens)
        registerProfileMethods(database: database)
        registerContactMethods(database: database)
        registerNoteMethods(database: database)
        registerMomentMethods(database: database)
        registerFieldMethods(database: database)
        registerEventMethods(database: database, feed: feed)
    }
}

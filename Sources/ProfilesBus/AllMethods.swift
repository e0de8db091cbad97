import ProfilesStore

extension CommandBus.Registry {
    /// Every method the service offers, area by area.
    public mutating func registerAllMethods(database: ProfilesDatabase, info: ServerInfo) {
        registerSystemMethods(database: database, info: info)
        registerProfileMethods(database: database)
        registerContactMethods(database: database)
        registerNoteMethods(database: database)
        registerMomentMethods(database: database)
        registerFieldMethods(database: database)
    }
}

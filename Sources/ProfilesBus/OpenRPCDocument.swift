import ProfilesProtocol

/// The answer of `rpc.discover` (SPEC §8 "Discovery"): an OpenRPC 1.2.6
/// document written from the registry that routes the calls, so what it
/// says a method takes is what the method accepts.
enum OpenRPCDocument {
    static let openRPCVersion = "1.2.6"

    static func build(methods: [CommandBus.Method], info: ServerInfo) -> JSONValue {
        [
            "openrpc": .string(openRPCVersion),
            "info": [
                "title": "Profiles",
                "version": .string(info.version),
                "description": """
                    Customer profiles, their contacts on every channel, notes, contact moments and custom fields, \
                    over newline-delimited JSON-RPC 2.0 on TCP (one JSON text per line; see Protocol.md). \
                    Params are always by name; every error has data.type.
                    """,
            ],
            "methods": .array(methods.map(method)),
            "components": [
                "schemas": .object(EntitySchemas.all.merging(EntitySchemas.history) { $1 }),
                "errors": .object(Dictionary(uniqueKeysWithValues: MethodError.allCases.map { ($0.type, error($0)) })),
            ],
        ]
    }

    static func method(_ method: CommandBus.Method) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(method.name),
            "summary": .string(method.spec.summary),
            "paramStructure": "by-name",
            "params": .array(method.spec.params.sorted { ($0.required ? 0 : 1, $0.name) < ($1.required ? 0 : 1, $1.name) }.map(param)),
            "result": ["name": .string(resultName(method.name)), "schema": method.spec.result],
            // Inline rather than `$ref`s to `components/errors`: OpenRPC
            // allows both, but some tools (the `openrpc` models on PyPI) read
            // only Error Objects here.
            "errors": .array(method.spec.errors.sorted { $0.code > $1.code }.map(error)),
        ]
        // Not in OpenRPC itself: whether the call works before `auth`
        // (SPEC §5), as a specification extension.
        if method.beforeAuth { object["x-before-auth"] = true }
        return .object(object)
    }

    static func param(_ param: ParamSpec) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(param.name), "required": .bool(param.required), "schema": param.schema]
        if let description = param.description { object["description"] = .string(description) }
        return .object(object)
    }

    static func error(_ error: MethodError) -> JSONValue {
        ["code": .int(Int64(error.code)), "message": .string(error.summary), "data": ["type": .string(error.type)]]
    }

    /// `profile.get` → `profile_get_result`: a ContentDescriptor name.
    static func resultName(_ method: String) -> String {
        String(method.map { $0 == "." ? "_" : $0 }) + "_result"
    }
}

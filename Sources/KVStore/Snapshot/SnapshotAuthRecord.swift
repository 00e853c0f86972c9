/// The auth record (`0x03`): the users, roles, enabled flag and auth revision, so a restored store
/// authenticates and authorizes exactly as the saved one did. Tokens are not saved: as after an etcd
/// restart, clients log in again.
///
///     03  flags: u8 (bit 0 = enabled)  auth revision: uv  user count: uv  user × count
///         role count: uv  role × count
///     user       := name: bytes  role count: uv  role name: bytes × count
///                   password: u8 (0 = none, 1 = hash)  [salt: bytes  iterations: uv  digest: bytes]
///     role       := name: bytes  permission count: uv  permission × count
///     permission := kind: u8 (0 read, 1 write, 2 readwrite)  key: bytes  range end: bytes
///
/// Names are UTF-8. Users, roles and each user's role names are in strictly ascending order (Swift's
/// `String` order, the order `AuthStore.contents` gives), so a repeated name is refused instead of one
/// copy silently replacing the other. A user's roles may name roles that do not exist, as in etcd.
enum SnapshotAuthRecord {
    /// Whether `contents` need a record: whenever they differ from a fresh store's (which also keeps an
    /// auth revision moved by changes since undone). A store whose auth was never touched writes no
    /// record, so its file is byte for byte what a build without auth support wrote, and such a build
    /// still reads it.
    static func isNeeded(for contents: AuthStore.Contents) -> Bool {
        contents != AuthStore.Contents()
    }

    /// Encodes the whole record, tag included.
    static func write(_ contents: AuthStore.Contents, to writer: SnapshotWriter) throws {
        try writer.byte(SnapshotFormat.authRecord)
        try writer.byte(contents.enabled ? 1 : 0)
        try writer.varint(contents.revision)
        try writer.varint(UInt64(contents.users.count))
        for user in contents.users {
            try writer.string(user.name)
            try writer.varint(UInt64(user.roles.count))
            for role in user.roles { try writer.string(role) }
            if let hash = user.password {
                try writer.byte(1)
                try writer.bytes(hash.salt)
                try writer.varint(UInt64(bitPattern: Int64(hash.iterations)))
                try writer.bytes(hash.digest)
            } else {
                try writer.byte(0)
            }
        }
        try writer.varint(UInt64(contents.roles.count))
        for role in contents.roles {
            try writer.string(role.name)
            try writer.varint(UInt64(role.permissions.count))
            for permission in role.permissions {
                try writer.byte(UInt8(permission.kind.rawValue))
                try writer.bytes(permission.key)
                try writer.bytes(permission.rangeEnd)
            }
        }
    }

    /// Decodes and checks the record whose tag (at `recordOffset`) has just been read. Nothing is
    /// reserved from a count: memory grows only with bytes actually present in the file.
    static func read(from reader: inout SnapshotReader, recordOffset: Int) throws(SnapshotError) -> AuthStore.Contents {
        let flagsOffset = reader.offset
        let flags = try reader.byte(expecting: "auth flags")
        guard flags <= 1 else { throw .corrupt(offset: flagsOffset, reason: "unknown auth flags \(flags)") }
        let revisionOffset = reader.offset
        let revision = try reader.varint(expecting: "the auth revision")
        guard revision >= 1 else { throw .corrupt(offset: revisionOffset, reason: "auth revision 0 (it starts at 1)") }

        let userCount = try reader.int(expecting: "a user count", max: Int64(Int32.max))
        var users: [AuthStore.User] = []
        for _ in 0..<userCount {
            let userOffset = reader.offset
            let name = try reader.name(expecting: "a user name")
            if let previous = users.last, !(previous.name < name) {
                throw .corrupt(offset: userOffset, reason: "user \"\(name)\" is repeated or out of order (after \"\(previous.name)\")")
            }
            let roleCount = try reader.int(expecting: "a user's role count", max: Int64(Int32.max))
            var roles: [String] = []
            for _ in 0..<roleCount {
                let roleOffset = reader.offset
                let role = try reader.name(expecting: "a role name of user \"\(name)\"")
                if let previous = roles.last, !(previous < role) {
                    throw .corrupt(offset: roleOffset, reason: "role \"\(role)\" of user \"\(name)\" is repeated or out of order")
                }
                roles.append(role)
            }
            let passwordOffset = reader.offset
            let hasPassword = try reader.byte(expecting: "a password flag")
            var password: PasswordHash? = nil
            switch hasPassword {
            case 0:
                break
            case 1:
                let salt = try reader.hashField(expecting: "a password salt", allowEmpty: true)
                let iterationsOffset = reader.offset
                let iterations = try reader.int(expecting: "password hash iterations", max: Int64(Int32.max))
                guard iterations >= 1 else { throw .corrupt(offset: iterationsOffset, reason: "password hash of user \"\(name)\" has 0 iterations") }
                // An empty digest would match every password.
                let digest = try reader.hashField(expecting: "a password digest", allowEmpty: false)
                password = PasswordHash(salt: salt, iterations: Int(iterations), digest: digest)
            default:
                throw .corrupt(offset: passwordOffset, reason: "unknown password flag \(hasPassword) for user \"\(name)\"")
            }
            users.append(AuthStore.User(name: name, roles: roles, password: password))
        }

        let roleCount = try reader.int(expecting: "a role count", max: Int64(Int32.max))
        var roles: [AuthStore.Role] = []
        for _ in 0..<roleCount {
            let roleOffset = reader.offset
            let name = try reader.name(expecting: "a role name")
            if let previous = roles.last, !(previous.name < name) {
                throw .corrupt(offset: roleOffset, reason: "role \"\(name)\" is repeated or out of order (after \"\(previous.name)\")")
            }
            let permissionCount = try reader.int(expecting: "a permission count", max: Int64(Int32.max))
            var permissions: [Permission] = []
            for _ in 0..<permissionCount {
                let kindOffset = reader.offset
                let rawKind = try reader.byte(expecting: "a permission kind")
                guard let kind = Permission.Kind(rawValue: Int(rawKind)) else {
                    throw .corrupt(offset: kindOffset, reason: "unknown permission kind \(rawKind) in role \"\(name)\" (0 read, 1 write, 2 readwrite)")
                }
                let key = try reader.lengthPrefixed(expecting: "a permission key", max: SnapshotFormat.maximumKeyLength)
                let rangeEnd = try reader.lengthPrefixed(expecting: "a permission range end", max: SnapshotFormat.maximumKeyLength)
                permissions.append(Permission(kind: kind, key: key, rangeEnd: rangeEnd))
            }
            roles.append(AuthStore.Role(name: name, permissions: permissions))
        }
        return AuthStore.Contents(enabled: flags == 1, revision: revision, users: users, roles: roles)
    }
}

extension SnapshotWriter {
    /// A length-prefixed byte string.
    fileprivate func bytes(_ array: [UInt8]) throws {
        try array.withUnsafeBytes { try bytes($0) }
    }

    /// A name as a length-prefixed UTF-8 string.
    fileprivate func string(_ text: String) throws {
        var text = text
        try text.withUTF8 { try bytes(UnsafeRawBufferPointer($0)) }
    }
}

extension SnapshotReader {
    /// A length-prefixed byte string of at most `limit` bytes. The reader grows its buffer only as far
    /// as the file goes, so a corrupted length ends in `.truncated`, not a huge allocation.
    fileprivate mutating func lengthPrefixed(expecting what: String, max limit: Int) throws(SnapshotError) -> [UInt8] {
        let length = Int(try int(expecting: "the length of \(what)", max: Int64(limit)))
        return try bytes(length, expecting: what)
    }

    /// A non-empty UTF-8 name (etcd refuses empty user and role names).
    fileprivate mutating func name(expecting what: String) throws(SnapshotError) -> String {
        let start = offset
        let raw = try lengthPrefixed(expecting: what, max: SnapshotFormat.maximumNameLength)
        guard !raw.isEmpty else { throw .corrupt(offset: start, reason: "\(what) is empty") }
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw .corrupt(offset: start, reason: "\(what) is not valid UTF-8")
        }
        return name
    }

    fileprivate mutating func hashField(expecting what: String, allowEmpty: Bool) throws(SnapshotError) -> [UInt8] {
        let start = offset
        let raw = try lengthPrefixed(expecting: what, max: SnapshotFormat.maximumHashFieldLength)
        guard allowEmpty || !raw.isEmpty else { throw .corrupt(offset: start, reason: "\(what) is empty") }
        return raw
    }
}

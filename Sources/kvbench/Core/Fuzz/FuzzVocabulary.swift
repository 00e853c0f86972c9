/// The small worlds the generator draws keys, values, names and ids from: small enough that requests
/// hit each other's keys, leases and users, with the awkward spellings (empty, reserved words, leading
/// `--`, quotes, backslashes, control and non-ASCII bytes) mixed in.
///
/// No user or role is named `root`, nor anything a few byte edits away from it, so a fuzzed request can
/// never create the user `AUTH-ENABLE` needs: auth stays off unless a run asks for ``FuzzMode/auth(rootPassword:)``.
public enum FuzzVocabulary {
    public static let keys: [[UInt8]] = [
        "a", "b", "c", "foo", "foo/bar", "foo/baz", "foo0", "k1", "k2", "zz", "", "end", "Then", "--x", "a b",
        "x\"y", "\"x", "a\\b", "caf\u{e9}", "=",
    ].map { Array($0.utf8) } + [[0], [0xff], [0, 9, 10, 13, 0x7f, 0x80, 0xff], Array(repeating: UInt8(ascii: "k"), count: 100)]

    /// Prefixes for `--prefix` ranges and range ends for explicit ranges.
    public static let rangeEnds: [[UInt8]] = ["b", "foo1", "zz", "\u{0}", "c", "foo/"].map { Array($0.utf8) } + [[0xff]]

    public static let users: [String] = ["alice", "bob", "carol", "svc.a", "u-1", "--dash", "a b", ""]
    public static let roles: [String] = ["reader", "writer", "admin", "r.1", "--role", "x y", ""]
    public static let passwords: [String] = ["pw", "pass word", "--pw", "p\"w", "caf\u{e9}", ""]

    /// Lease ids the generator names (other requests grant, revoke and attach to the same few).
    public static let leaseIDs: [UInt64] = [0x694d, 0x1, 0x2a, 0xabc, 0x7fff_0000, 0xdead_beef]

    /// A value: mostly short printable text, sometimes binary bytes.
    public static func value(_ random: inout SplitMix64) -> [UInt8] {
        let length = random.chance(percent: 10) ? random.int(in: 100...2000) : random.int(in: 0...24)
        let binary = random.chance(percent: 15)
        return (0..<length).map { _ in
            binary ? UInt8(truncatingIfNeeded: random.next()) : UInt8(random.int(in: 0x20...0x7e))
        }
    }
}

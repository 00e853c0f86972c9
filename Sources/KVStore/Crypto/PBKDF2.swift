/// PBKDF2 with HMAC-SHA256 as the pseudorandom function (RFC 8018 §5.2), for deriving password hashes.
public enum PBKDF2 {
    /// Derives `keyLength` bytes from `password` and `salt` with `iterations` rounds.
    ///
    /// The keyed HMAC states are built once and copied for every iteration, and the iterations run on
    /// eight-word values, so the cost is two SHA-256 block compressions per iteration per 32 bytes of
    /// output, with no allocation in the loop.
    ///
    /// - Precondition: `iterations >= 1`, `keyLength >= 0` and `keyLength <= (2^32 - 1) * 32`. These are
    ///   programming errors, not runtime conditions: the store chooses both values itself.
    /// - Returns: exactly `keyLength` bytes; empty when `keyLength` is 0.
    /// - Complexity: O(`iterations` × ⌈`keyLength` / 32⌉), plus O(`password.count` + `salt.count`).
    public static func deriveKey(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: Int, keyLength: Int
    ) -> [UInt8] {
        precondition(iterations >= 1, "PBKDF2 needs at least one iteration")
        precondition(keyLength >= 0 && UInt64(keyLength) <= UInt64(UInt32.max) * 32, "PBKDF2 key length out of range")
        let keyed = HMAC(key: password)
        var saltedMAC = keyed
        saltedMAC.update(salt)

        var output: [UInt8] = []
        output.reserveCapacity(keyLength)
        var blockIndex: UInt32 = 1
        while output.count < keyLength {
            var first = saltedMAC
            first.update([
                UInt8(truncatingIfNeeded: blockIndex >> 24), UInt8(truncatingIfNeeded: blockIndex >> 16),
                UInt8(truncatingIfNeeded: blockIndex >> 8), UInt8(truncatingIfNeeded: blockIndex),
            ])
            var u = first.finalizeWords()
            var t = u
            for _ in 1..<iterations {
                u = keyed.authenticationCodeWords(ofDigest: u)
                t ^= u
            }
            for index in 0..<8 where output.count < keyLength {
                let word = t[index]
                for shift in stride(from: 24, through: 0, by: -8) where output.count < keyLength {
                    output.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
                }
            }
            blockIndex &+= 1
        }
        return output
    }
}

/// HMAC-SHA256 (RFC 2104), streaming.
///
/// The key is absorbed once, at initialization, into an inner and an outer SHA-256 state; a value can be
/// copied to authenticate many messages under the same key without repeating that work. Keys longer than
/// the 64-byte block are hashed first; shorter keys are zero-padded, so any key length (including empty)
/// is accepted.
///
/// - Complexity: O(key length) to initialize; O(n) in the message length; O(1) memory.
public struct HMAC: Sendable {
    /// The size of an authentication code in bytes.
    public static let byteCount = SHA256.byteCount

    /// SHA-256 state after absorbing `key ⊕ ipad`, then any message bytes fed so far.
    private var inner: SHA256
    /// SHA-256 state after absorbing `key ⊕ opad`.
    private let outer: SHA256

    /// A code computation keyed by `key`.
    public init(key: some Collection<UInt8>) {
        var block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        if key.count > SHA256.blockByteCount {
            let digest = SHA256.hash(key)
            block.replaceSubrange(0..<digest.count, with: digest)
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        var inner = SHA256()
        var outer = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        outer.update(block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// Authenticates the bytes of `bytes`, in order.
    ///
    /// - Complexity: O(`bytes.count`).
    public mutating func update(_ bytes: some Collection<UInt8>) {
        inner.update(bytes)
    }

    /// Authenticates the bytes of `buffer`, in order.
    ///
    /// - Complexity: O(`buffer.count`).
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        inner.update(buffer)
    }

    /// The 32-byte authentication code of everything fed so far; the value is left unchanged.
    ///
    /// - Complexity: O(1).
    public func finalize() -> [UInt8] {
        var outer = self.outer
        let innerDigest = inner.finalize()
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// The HMAC-SHA256 of `message` under `key`.
    ///
    /// - Complexity: O(`message.count` + `key.count`).
    public static func authenticationCode(
        for message: some Collection<UInt8>, key: some Collection<UInt8>
    ) -> [UInt8] {
        var mac = HMAC(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// The code, as eight words, of a message that is itself a 32-byte digest given as eight words; used by
    /// PBKDF2's inner loop. Allocates nothing and must be called on a value that has not been fed input.
    ///
    /// - Complexity: O(1): two block compressions.
    func authenticationCodeWords(ofDigest message: SIMD8<UInt32>) -> SIMD8<UInt32> {
        outer.finalizeWords(appendingDigest: inner.finalizeWords(appendingDigest: message))
    }

    /// The code of everything fed so far, as eight words.
    func finalizeWords() -> SIMD8<UInt32> {
        outer.finalizeWords(appendingDigest: inner.finalizeWords())
    }
}

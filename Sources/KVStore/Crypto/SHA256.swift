import CKVStore

/// A streaming SHA-256 hasher (FIPS 180-4).
///
/// Feed bytes with `update` in any number of pieces of any size, then call `finalize()`; the digest depends
/// only on the concatenation of the pieces, never on where they were split. The hasher is a plain value:
/// copying it forks the computation (HMAC and PBKDF2 rely on this to reuse keyed states).
///
/// Whole 64-byte blocks are compressed straight from the caller's memory; only a trailing partial block is
/// copied into the hasher's fixed inline buffer. Nothing is allocated on the heap except the returned digest.
///
/// On x86 CPUs with the SHA extensions the compression function runs on them (the C target `CKVStore`,
/// several times faster); elsewhere it runs in Swift. Both give the same digests (see SHA256Tests).
///
/// - Complexity: O(n) in the number of bytes hashed; O(1) memory.
public struct SHA256: Sendable {
    /// The size of a digest in bytes.
    public static let byteCount = 32
    /// The size of the blocks the compression function consumes, in bytes.
    public static let blockByteCount = 64

    /// Inline storage for one 64-byte block.
    typealias Block = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    private var h0: UInt32 = 0x6a09_e667
    private var h1: UInt32 = 0xbb67_ae85
    private var h2: UInt32 = 0x3c6e_f372
    private var h3: UInt32 = 0xa54f_f53a
    private var h4: UInt32 = 0x510e_527f
    private var h5: UInt32 = 0x9b05_688c
    private var h6: UInt32 = 0x1f83_d9ab
    private var h7: UInt32 = 0x5be0_cd19

    /// The first `bufferedCount` bytes hold input that does not yet fill a block.
    private var buffer: Block = (0, 0, 0, 0, 0, 0, 0, 0)
    private var bufferedCount = 0
    /// Total bytes fed so far (modulo 2^64; SHA-256 is only defined below 2^61 bytes anyway).
    private var totalByteCount: UInt64 = 0
    private let engine: Engine

    /// Which code runs the compression function.
    enum Engine: Sendable, CaseIterable {
        /// The Swift implementation, on any CPU.
        case software
        /// The x86 SHA extensions; only where `Engine.hardwareIsAvailable`.
        case hardware

        /// Whether this CPU has the SHA extensions (and the SSSE3 and SSE4.1 the code also uses).
        static let hardwareIsAvailable = ckv_sha256_hardware_available() != 0
        /// The fastest engine this CPU runs.
        static let preferred: Engine = hardwareIsAvailable ? .hardware : .software
    }

    /// A hasher that has seen no input.
    public init() { engine = .preferred }

    /// A hasher that runs on `engine` (tests compare the two); `.hardware` requires that the CPU has it.
    init(engine: Engine) {
        precondition(engine == .software || Engine.hardwareIsAvailable, "this CPU has no SHA extensions")
        self.engine = engine
    }

    /// Hashes the bytes of `bytes`, in order.
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice`, buffer pointers…) take the fast path; any other
    /// collection is copied through a small stack buffer.
    ///
    /// - Complexity: O(`bytes.count`).
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled != nil { return }
        var chunk: Block = (0, 0, 0, 0, 0, 0, 0, 0)
        var filled = 0
        withUnsafeMutableBytes(of: &chunk) { chunkBytes in
            for byte in bytes {
                chunkBytes[filled] = byte
                filled += 1
                if filled == Self.blockByteCount {
                    update(UnsafeRawBufferPointer(chunkBytes))
                    filled = 0
                }
            }
            if filled > 0 { update(UnsafeRawBufferPointer(rebasing: chunkBytes[0..<filled])) }
        }
    }

    /// Hashes the bytes of `buffer`, in order. This is the fast path: whole blocks are read in place.
    ///
    /// - Complexity: O(`buffer.count`).
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var source = buffer.baseAddress, buffer.count > 0 else { return }
        var remaining = buffer.count
        totalByteCount &+= UInt64(remaining)

        if bufferedCount > 0 {
            let taken = min(Self.blockByteCount - bufferedCount, remaining)
            let offset = bufferedCount
            withUnsafeMutableBytes(of: &self.buffer) {
                $0.baseAddress!.advanced(by: offset).copyMemory(from: source, byteCount: taken)
            }
            bufferedCount += taken
            source += taken
            remaining -= taken
            if bufferedCount < Self.blockByteCount { return }
            var block = self.buffer
            withUnsafeBytes(of: &block) { compress(blocks: $0.baseAddress!, count: 1) }
            bufferedCount = 0
        }

        let wholeBlocks = remaining / Self.blockByteCount
        if wholeBlocks > 0 {
            compress(blocks: source, count: wholeBlocks)
            source += wholeBlocks * Self.blockByteCount
            remaining -= wholeBlocks * Self.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &self.buffer) {
                $0.baseAddress!.copyMemory(from: source, byteCount: remaining)
            }
            bufferedCount = remaining
        }
    }

    /// The 32-byte digest of everything fed so far. The hasher itself is left unchanged, so more input may
    /// follow and `finalize()` may be called again for the digest of the longer message.
    ///
    /// - Complexity: O(1) (at most two block compressions).
    public func finalize() -> [UInt8] {
        let words = finalizeWords()
        return [UInt8](unsafeUninitializedCapacity: Self.byteCount) { output, initialized in
            let raw = UnsafeMutableRawBufferPointer(output)
            for index in 0..<8 {
                raw.storeBytes(of: words[index].bigEndian, toByteOffset: index * 4, as: UInt32.self)
            }
            initialized = Self.byteCount
        }
    }

    /// The SHA-256 digest of `bytes`.
    ///
    /// - Complexity: O(`bytes.count`).
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-256 digest of the bytes in `buffer`.
    ///
    /// - Complexity: O(`buffer.count`).
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(buffer)
        return hasher.finalize()
    }

    // MARK: - Allocation-free helpers for HMAC and PBKDF2

    /// The digest as eight words (`H0…H7`), without allocating.
    func finalizeWords() -> SIMD8<UInt32> {
        var copy = self
        let bitLength = totalByteCount &* 8
        // 0x80, zeros up to 56 mod 64, then the 64-bit big-endian bit length: 9…72 bytes in all.
        let paddingCount = (bufferedCount < 56 ? 56 : 120) - bufferedCount
        var padding: (Block, Block) = ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0))
        withUnsafeMutableBytes(of: &padding) { bytes in
            bytes[0] = 0x80
            bytes.storeBytes(of: bitLength.bigEndian, toByteOffset: paddingCount, as: UInt64.self)
            copy.update(UnsafeRawBufferPointer(rebasing: bytes[0..<(paddingCount + 8)]))
        }
        return copy.stateWords
    }

    /// The digest of (everything fed so far ‖ the 32 big-endian bytes of `digest`), without allocating.
    ///
    /// Requires that the input so far fills whole blocks, as it does for the keyed states of HMAC; the
    /// appended digest and the padding then make exactly one more block.
    func finalizeWords(appendingDigest digest: SIMD8<UInt32>) -> SIMD8<UInt32> {
        precondition(bufferedCount == 0, "SHA256.finalizeWords(appendingDigest:) needs block-aligned input")
        var block: (Block, Block) = ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0))
        let bitLength = (totalByteCount &+ 32) &* 8
        var copy = self
        withUnsafeMutableBytes(of: &block) { bytes in
            for index in 0..<8 {
                bytes.storeBytes(of: digest[index].bigEndian, toByteOffset: index * 4, as: UInt32.self)
            }
            bytes[32] = 0x80
            bytes.storeBytes(of: bitLength.bigEndian, toByteOffset: 56, as: UInt64.self)
            copy.compress(blocks: UnsafeRawPointer(bytes.baseAddress!), count: 1)
        }
        return copy.stateWords
    }

    private var stateWords: SIMD8<UInt32> {
        SIMD8(h0, h1, h2, h3, h4, h5, h6, h7)
    }

    // MARK: - Compression

    /// The round constants: the first 32 bits of the fractional parts of the cube roots of the first 64
    /// primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// One round with the working variables named by position; callers rotate the names instead of
    /// moving eight values per round. `kw` is the round constant plus the schedule word; `bXorC` carries
    /// `b ^ c` in and leaves `a ^ b`, which is the next round's `b ^ c`, so Maj costs two fewer operations.
    /// Additions are grouped so that the `e` and `a` dependency chains are as short as possible.
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32, _ bXorC: inout UInt32
    ) {
        let bigSigma1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
        let choose = g ^ (e & (f ^ g))
        let t1 = (h &+ kw &+ choose) &+ bigSigma1
        let bigSigma0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
        let aXorB = a ^ b
        let majority = b ^ (aXorB & bXorC)
        bXorC = aXorB
        d &+= t1
        h = t1 &+ (bigSigma0 &+ majority)
    }

    /// Computes schedule word `t + 16` from the four earlier words it depends on.
    @inline(__always)
    private static func expand(_ w: UnsafeMutablePointer<UInt32>, _ t: Int) {
        let x = w[t &+ 1], y = w[t &+ 14]
        let sigma0 = rotateRight(x, 7) ^ rotateRight(x, 18) ^ (x &>> 3)
        let sigma1 = rotateRight(y, 17) ^ rotateRight(y, 19) ^ (y &>> 10)
        w[t &+ 16] = (w[t] &+ w[t &+ 9]) &+ sigma0 &+ sigma1
    }

    /// Runs the compression function over `count` consecutive 64-byte blocks at `blocks` (any alignment).
    @inline(__always)
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        if engine == .hardware {
            var state = (h0, h1, h2, h3, h4, h5, h6, h7)
            withUnsafeMutableBytes(of: &state) {
                ckv_sha256_compress($0.baseAddress!.assumingMemoryBound(to: UInt32.self), blocks, count)
            }
            (h0, h1, h2, h3, h4, h5, h6, h7) = state
        } else {
            compressInSwift(blocks: blocks, count: count)
        }
    }

    /// The compression function in Swift.
    private mutating func compressInSwift(blocks: UnsafeRawPointer, count: Int) {
        var s0 = h0, s1 = h1, s2 = h2, s3 = h3, s4 = h4, s5 = h5, s6 = h6, s7 = h7
        Self.roundConstants.withUnsafeBufferPointer { constants in
            let k = constants.baseAddress!
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                let w = schedule.baseAddress!
                var block = blocks
                for _ in 0..<count {
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
                    }
                    var a = s0, b = s1, c = s2, d = s3, e = s4, f = s5, g = s6, h = s7
                    var carry = b ^ c
                    var t = 0
                    while t < 48 {
                        Self.expand(w, t); Self.round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t], &carry)
                        Self.expand(w, t &+ 1); Self.round(h, a, b, &c, d, e, f, &g, k[t &+ 1] &+ w[t &+ 1], &carry)
                        Self.expand(w, t &+ 2); Self.round(g, h, a, &b, c, d, e, &f, k[t &+ 2] &+ w[t &+ 2], &carry)
                        Self.expand(w, t &+ 3); Self.round(f, g, h, &a, b, c, d, &e, k[t &+ 3] &+ w[t &+ 3], &carry)
                        Self.expand(w, t &+ 4); Self.round(e, f, g, &h, a, b, c, &d, k[t &+ 4] &+ w[t &+ 4], &carry)
                        Self.expand(w, t &+ 5); Self.round(d, e, f, &g, h, a, b, &c, k[t &+ 5] &+ w[t &+ 5], &carry)
                        Self.expand(w, t &+ 6); Self.round(c, d, e, &f, g, h, a, &b, k[t &+ 6] &+ w[t &+ 6], &carry)
                        Self.expand(w, t &+ 7); Self.round(b, c, d, &e, f, g, h, &a, k[t &+ 7] &+ w[t &+ 7], &carry)
                        t &+= 8
                    }
                    while t < 64 {
                        Self.round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t], &carry)
                        Self.round(h, a, b, &c, d, e, f, &g, k[t &+ 1] &+ w[t &+ 1], &carry)
                        Self.round(g, h, a, &b, c, d, e, &f, k[t &+ 2] &+ w[t &+ 2], &carry)
                        Self.round(f, g, h, &a, b, c, d, &e, k[t &+ 3] &+ w[t &+ 3], &carry)
                        Self.round(e, f, g, &h, a, b, c, &d, k[t &+ 4] &+ w[t &+ 4], &carry)
                        Self.round(d, e, f, &g, h, a, b, &c, k[t &+ 5] &+ w[t &+ 5], &carry)
                        Self.round(c, d, e, &f, g, h, a, &b, k[t &+ 6] &+ w[t &+ 6], &carry)
                        Self.round(b, c, d, &e, f, g, h, &a, k[t &+ 7] &+ w[t &+ 7], &carry)
                        t &+= 8
                    }
                    s0 &+= a; s1 &+= b; s2 &+= c; s3 &+= d
                    s4 &+= e; s5 &+= f; s6 &+= g; s7 &+= h
                    block += Self.blockByteCount
                }
            }
        }
        h0 = s0; h1 = s1; h2 = s2; h3 = s3; h4 = s4; h5 = s5; h6 = s6; h7 = s7
    }
}

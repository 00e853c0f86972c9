import Testing
@testable import KVStore

@Suite struct SHA256Tests {
    /// FIPS 180-4 / NIST example messages.
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test(arguments: vectors)
    func knownDigest(message: String, digest: String) {
        #expect(Hex.encode(SHA256.hash(Array(message.utf8))) == digest)
        // A non-contiguous collection takes the copying path and must agree.
        #expect(Hex.encode(SHA256.hash(message.utf8.lazy.map { $0 })) == digest)
    }

    @Test func oneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var hasher = SHA256()
        for _ in 0..<1000 { message.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<1000])) } }
        #expect(Hex.encode(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the padding boundaries (55/56/63/64 bytes…) streamed byte by byte equals one shot.
    @Test func paddingBoundaries() {
        for length in 0...200 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
            var hasher = SHA256()
            for byte in message { hasher.update(CollectionOfOne(byte)) }
            #expect(hasher.finalize() == SHA256.hash(message), "length \(length)")
        }
    }

    @Test func finalizeLeavesHasherUsable() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Array("c".utf8))
        #expect(Hex.encode(hasher.finalize()) == Self.vectors[1].digest)
        #expect(hasher.finalize() == hasher.finalize())
    }

    @Test func randomSplitsEqualOneShot() {
        let seed: UInt64 = 0x5EED_0001
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<200 {
            let length = Int.random(in: 0...700, using: &rng)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = SHA256.hash(message)
            var hasher = SHA256()
            var offset = 0
            var useRaw = false
            while offset < length {
                let piece = Int.random(in: 0...min(150, length - offset), using: &rng)
                let slice = message[offset..<(offset + piece)]
                if useRaw { slice.withUnsafeBytes { hasher.update($0) } } else { hasher.update(slice) }
                useRaw.toggle()
                offset += piece
            }
            #expect(hasher.finalize() == expected, "seed \(seed) trial \(trial) length \(length)")
        }
    }
}

import Testing
@testable import KVStore
import TestSupport

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

    // MARK: - Both engines

    /// The engines this CPU runs: always the Swift one, and the SHA extensions where present (a CPU
    /// without them tests the Swift engine only).
    static let engines = SHA256.Engine.allCases.filter { $0 == .software || SHA256.Engine.hardwareIsAvailable }

    static func digest(_ message: [UInt8], engine: SHA256.Engine) -> [UInt8] {
        var hasher = SHA256(engine: engine)
        hasher.update(message)
        return hasher.finalize()
    }

    @Test(arguments: engines)
    func engineKnownDigests(engine: SHA256.Engine) {
        for (message, digest) in Self.vectors {
            #expect(Hex.encode(Self.digest(Array(message.utf8), engine: engine)) == digest, "\(engine) \(message)")
        }
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(Self.digest(million, engine: engine)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Random messages of every length 0…300 give the same digest on both engines, hashed in one piece
    /// or streamed in pieces of random sizes (so blocks straddle the pieces at every offset).
    @Test func enginesAgreeOnEveryLength() {
        let seed: UInt64 = 0x5EED_0002
        var rng = SeededGenerator(seed: seed)
        for length in 0...300 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = Self.digest(message, engine: .software)
            for engine in Self.engines {
                #expect(Self.digest(message, engine: engine) == expected, "seed \(seed) length \(length) \(engine)")
                for split in 0..<4 {
                    var hasher = SHA256(engine: engine)
                    var offset = 0
                    while offset < length {
                        let piece = Int.random(in: 0...min(split == 0 ? 3 : 130, length - offset), using: &rng)
                        message[offset..<(offset + piece)].withUnsafeBytes { hasher.update($0) }
                        offset += piece
                    }
                    #expect(hasher.finalize() == expected, "seed \(seed) length \(length) \(engine) split \(split)")
                }
            }
        }
    }

    /// Long messages (many blocks per call, any alignment) agree too, whatever the split.
    @Test func enginesAgreeOnLongMessages() {
        let seed: UInt64 = 0x5EED_0003
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<20 {
            let length = Int.random(in: 1000...70_000, using: &rng)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = Self.digest(message, engine: .software)
            for engine in Self.engines {
                var hasher = SHA256(engine: engine)
                var offset = 0
                while offset < length {
                    let piece = Int.random(in: 0...min(9000, length - offset), using: &rng)
                    message[offset..<(offset + piece)].withUnsafeBytes { hasher.update($0) }
                    offset += piece
                }
                #expect(hasher.finalize() == expected, "seed \(seed) trial \(trial) \(engine)")
                #expect(Self.digest(message, engine: engine) == expected, "seed \(seed) trial \(trial) \(engine)")
            }
        }
    }

    /// The engine the hasher picks by itself is the hardware one wherever the CPU has it.
    @Test func defaultEngineIsTheFastestAvailable() {
        #expect(SHA256.Engine.preferred == (SHA256.Engine.hardwareIsAvailable ? .hardware : .software))
    }
}

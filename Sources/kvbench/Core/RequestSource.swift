import KVProtocol
import KVStore

/// Produces request lines without allocating: one line is encoded once, through the protocol module's
/// encoder, with placeholder keys of all-`0` digits; each request copies that template and writes its
/// key numbers (zero-padded decimal, so they stay bare tokens) over the placeholders.
public struct RequestSource {
    public let template: [UInt8]
    /// Where each placeholder key starts in `template`.
    public let keySlots: [Int]
    public let keySize: Int
    public let keySpaceSize: Int
    public let sequential: Bool
    private var counter = 0
    private var random: UInt64

    public var lineLength: Int { template.count }

    /// `template` must contain `placeholderCount` tokens made of exactly `keySize` `0` digits.
    public init(template: [UInt8], placeholderCount: Int, keySize: Int, keySpaceSize: Int, sequential: Bool,
                seed: UInt64 = 0x5EED) {
        self.template = template
        self.keySize = keySize
        self.keySpaceSize = max(1, keySpaceSize)
        self.sequential = sequential
        self.random = seed | 1
        var slots: [Int] = []
        if placeholderCount > 0 {
            var i = 0
            while i + keySize <= template.count {
                let before = i == 0 ? UInt8(ascii: " ") : template[i - 1]
                let after = i + keySize < template.count ? template[i + keySize] : UInt8(ascii: "\n")
                if before == UInt8(ascii: " ") && (after == UInt8(ascii: " ") || after == UInt8(ascii: "\n"))
                    && template[i..<(i + keySize)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                    slots.append(i)
                    i += keySize
                } else {
                    i += 1
                }
            }
        }
        precondition(slots.count == placeholderCount, "request template has \(slots.count) key slots, expected \(placeholderCount)")
        keySlots = slots
    }

    /// The key of index `n`: `size` zero-padded decimal digits.
    public static func key(_ n: Int, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: size)
        bytes.withUnsafeMutableBytes { writeKey(n, size: size, at: $0.baseAddress!) }
        return bytes
    }

    @inline(__always)
    static func writeKey(_ n: Int, size: Int, at pointer: UnsafeMutableRawPointer) {
        var rest = n
        var position = size - 1
        while position >= 0 {
            pointer.storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10), toByteOffset: position, as: UInt8.self)
            rest /= 10
            position -= 1
        }
    }

    /// Writes the next request line at `destination` (which has room for ``lineLength`` bytes).
    @inline(__always)
    public mutating func write(to destination: UnsafeMutableRawPointer) {
        template.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        if keySlots.isEmpty { return }
        let base: Int
        if sequential {
            base = counter % keySpaceSize
            counter &+= 1
        } else {
            // xorshift64*: cheap and good enough to spread keys.
            random ^= random >> 12
            random ^= random << 25
            random ^= random >> 27
            base = Int(((random &* 0x2545_F491_4F6C_DD1D) >> 1) % UInt64(keySpaceSize))
        }
        for (i, slot) in keySlots.enumerated() {
            var n = base + i
            if n >= keySpaceSize { n -= keySpaceSize }
            RequestSource.writeKey(n, size: keySize, at: destination + slot)
        }
    }

    // MARK: - The workloads

    static func value(_ size: Int) -> [UInt8] { [UInt8](repeating: UInt8(ascii: "x"), count: size) }

    public static func put(_ o: LoadOptions) -> RequestSource {
        let zero = key(0, size: o.keySize)
        let line = RequestEncoder.encode(.put(PutRequest(key: zero, value: value(o.valueSize))))
        return RequestSource(template: line, placeholderCount: 1, keySize: o.keySize,
                             keySpaceSize: o.keySpaceSize, sequential: o.sequentialKeys)
    }

    /// Writes every key of the key space once, in order (the `get` preload).
    public static func preload(_ o: LoadOptions) -> RequestSource {
        var source = put(o)
        source = RequestSource(template: source.template, placeholderCount: 1, keySize: o.keySize,
                               keySpaceSize: o.keySpaceSize, sequential: true)
        return source
    }

    public static func get(_ o: LoadOptions) -> RequestSource {
        let zero = key(0, size: o.keySize)
        let line = RequestEncoder.encode(.range(RangeRequest(key: zero, serializable: o.serializable)))
        return RequestSource(template: line, placeholderCount: 1, keySize: o.keySize,
                             keySpaceSize: o.keySpaceSize, sequential: o.sequentialKeys)
    }

    public static func range(_ o: LoadOptions) -> RequestSource {
        let key = Array(o.rangeKey.utf8)
        var request: RangeRequest
        if o.prefix {
            request = RangeRequest(KeyRange.prefix(key))
        } else {
            request = RangeRequest(key: key, rangeEnd: o.rangeEnd.map { Array($0.utf8) } ?? [])
        }
        request.limit = Int64(o.limit)
        request.serializable = o.serializable
        request.keysOnly = o.keysOnly
        request.countOnly = o.countOnly
        let line = RequestEncoder.encode(.range(request))
        return RequestSource(template: line, placeholderCount: 0, keySize: o.keySize,
                             keySpaceSize: 1, sequential: true)
    }

    public static func txn(_ o: LoadOptions) -> RequestSource {
        let zero = key(0, size: o.keySize)
        let op = RequestOp.put(PutRequest(key: zero, value: value(o.valueSize)))
        let line = RequestEncoder.encode(.txn(TxnRequest(success: Array(repeating: op, count: o.txnOps))))
        return RequestSource(template: line, placeholderCount: o.txnOps, keySize: o.keySize,
                             keySpaceSize: o.keySpaceSize, sequential: o.sequentialKeys)
    }

    /// Puts cycling through the watched keys, so every watcher sees a known number of events.
    public static func watchedPuts(_ o: LoadOptions) -> RequestSource {
        let zero = key(0, size: o.watchedKeySize)
        let line = RequestEncoder.encode(.put(PutRequest(key: zero, value: value(o.valueSize))))
        return RequestSource(template: line, placeholderCount: 1, keySize: o.watchedKeySize,
                             keySpaceSize: o.watchedKeyTotal, sequential: true)
    }

    /// The WATCH line of watcher `index` (it watches key `index % watchedKeyTotal`), tagged `@w<index>`.
    public static func watchLine(_ o: LoadOptions, watcher index: Int) -> [UInt8] {
        let key = key(index % o.watchedKeyTotal, size: o.watchedKeySize)
        return RequestEncoder.encode(.watch(WatchRequest(key: key)), tag: RequestTag("w\(index)"))
    }
}

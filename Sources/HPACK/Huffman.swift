/// HPACK's Huffman string coding (RFC 7541 §5.2, Appendix B).
///
/// Decoding runs a finite-state machine four bits at a time: a state is an internal node of the code tree (there are
/// exactly 256 for 257 symbols, so a state fits a byte), and `transitions[state << 4 | nibble]` says where four more
/// bits lead, which symbol (at most one: every code is at least 5 bits long) they completed, whether they ran into EOS,
/// and whether the input may end there. That is two table loads per input byte and no per-bit branching.
enum Huffman {
    // MARK: Encoding

    /// The number of octets `bytes` takes Huffman-coded (with its padding).
    static func encodedCount(_ bytes: some Sequence<UInt8>) -> Int {
        let codes = HuffmanTable.codes
        var bits = 0
        for byte in bytes { bits += Int(codes[Int(byte)].bitCount) }
        return (bits + 7) >> 3
    }

    /// Appends the Huffman coding of `bytes`, padded to an octet with the most significant bits of EOS (all ones).
    static func encode(_ bytes: some Sequence<UInt8>, into output: inout [UInt8]) {
        let codes = HuffmanTable.codes
        // At most 7 bits wait in `pending` between symbols, so 7 + 30 bits always fit.
        var pending: UInt64 = 0
        var pendingCount = 0
        for byte in bytes {
            let symbol = codes[Int(byte)]
            pending = pending << UInt64(symbol.bitCount) | UInt64(symbol.code)
            pendingCount += Int(symbol.bitCount)
            while pendingCount >= 8 {
                pendingCount -= 8
                output.append(UInt8(truncatingIfNeeded: pending >> UInt64(pendingCount)))
            }
        }
        if pendingCount > 0 {
            let padding = 8 - pendingCount
            output.append(UInt8(truncatingIfNeeded: pending << UInt64(padding) | (1 << UInt64(padding) - 1)))
        }
    }

    // MARK: Decoding

    /// The most octets `encodedCount` Huffman-coded bytes can decode to (the shortest code is 5 bits).
    static func maxDecodedCount(_ encodedCount: Int) -> Int { encodedCount * 8 / 5 }

    /// Decodes `encoded`, handing each decoded octet to `emit`, and returns how many there were.
    ///
    /// Guarantees (RFC 7541 §5.2): throws `huffmanEOSInString` if the bits contain EOS, and `invalidHuffmanPadding`
    /// if the string ends inside a symbol other than on at most 7 one-bits (a prefix of EOS).
    @inline(__always)
    static func decode(_ encoded: ArraySlice<UInt8>, emit: (UInt8) -> Void) throws(HPACKError) -> Int {
        let transitions = Self.transitions
        var state = 0
        var mayEnd = true
        var decodedCount = 0
        for byte in encoded {
            var step = transitions[state << 4 | Int(byte >> 4)]
            if step & Transition.failsFlag != 0 { throw .huffmanEOSInString }
            if step & Transition.emitsFlag != 0 {
                emit(UInt8(truncatingIfNeeded: step >> 8))
                decodedCount += 1
            }
            state = Int(step & 0xFF)
            step = transitions[state << 4 | Int(byte & 0x0F)]
            if step & Transition.failsFlag != 0 { throw .huffmanEOSInString }
            if step & Transition.emitsFlag != 0 {
                emit(UInt8(truncatingIfNeeded: step >> 8))
                decodedCount += 1
            }
            state = Int(step & 0xFF)
            mayEnd = step & Transition.mayEndFlag != 0
        }
        guard mayEnd else { throw .invalidHuffmanPadding }
        return decodedCount
    }

    /// Decodes `encoded` into a `String`; invalid UTF-8 in the decoded octets is replaced by U+FFFD (the returned
    /// `octetCount` is of the decoded octets, before any replacement, as HPACK's size accounting needs).
    static func decodeString(_ encoded: ArraySlice<UInt8>) throws(HPACKError) -> (string: String, octetCount: Int) {
        if encoded.isEmpty { return ("", 0) }
        var failure: HPACKError?
        var octetCount = 0
        let capacity = maxDecodedCount(encoded.count)
        let string = String(unsafeUninitializedCapacity: capacity) { buffer in
            var written = 0
            do throws(HPACKError) {
                octetCount = try decode(encoded) { octet in
                    // Cannot overflow (each octet costs at least 5 input bits); checked anyway, never trapping.
                    if written < buffer.count {
                        buffer[written] = octet
                        written += 1
                    }
                }
            } catch {
                failure = error
                return 0
            }
            return written
        }
        if let failure { throw failure }
        return (string, octetCount)
    }

    /// Validates `encoded` and counts its decoded octets without keeping them (for fields we will drop anyway).
    static func decodedCount(_ encoded: ArraySlice<UInt8>) throws(HPACKError) -> Int {
        try decode(encoded) { _ in }
    }

    /// One entry of the state machine, packed: bits 0-7 the next state, 8-15 the emitted symbol, then flags.
    enum Transition {
        static let emitsFlag: UInt32 = 1 << 16
        static let failsFlag: UInt32 = 1 << 17
        static let mayEndFlag: UInt32 = 1 << 18
    }

    /// 256 states × 16 nibbles, built once from `HuffmanTable` (so the only typed-in data is the RFC's table).
    static let transitions: [UInt32] = {
        // The code tree: internal nodes are numbered from 0 (the root); a child is either another internal node
        // (>= 0) or a leaf, stored as -(symbol + 1).
        var children: [(zero: Int, one: Int)] = [(0, 0)]
        var depth = [0]
        var onlyOnes = [true]
        for (symbol, entry) in HuffmanTable.codes.enumerated() {
            var node = 0
            for position in stride(from: Int(entry.bitCount) - 1, through: 0, by: -1) {
                let bit = (entry.code >> UInt32(position)) & 1
                if position == 0 {
                    if bit == 0 { children[node].zero = -(symbol + 1) } else { children[node].one = -(symbol + 1) }
                    break
                }
                var next = bit == 0 ? children[node].zero : children[node].one
                if next == 0 {
                    next = children.count
                    children.append((0, 0))
                    depth.append(depth[node] + 1)
                    onlyOnes.append(onlyOnes[node] && bit == 1)
                    if bit == 0 { children[node].zero = next } else { children[node].one = next }
                }
                node = next
            }
        }
        // A string may end at the root (right after a symbol) or on up to 7 one-bits: a short prefix of EOS.
        let mayEndAt = (0..<children.count).map { onlyOnes[$0] && depth[$0] <= 7 }

        var table = [UInt32](repeating: 0, count: children.count * 16)
        for state in 0..<children.count {
            for nibble in 0..<16 {
                var node = state
                var entry: UInt32 = 0
                for position in stride(from: 3, through: 0, by: -1) {
                    let bit = (nibble >> position) & 1
                    let child = bit == 0 ? children[node].zero : children[node].one
                    if child >= 0 {
                        node = child
                        continue
                    }
                    let symbol = -child - 1
                    if symbol == HuffmanTable.endOfString {
                        entry |= Transition.failsFlag
                        break
                    }
                    entry |= Transition.emitsFlag | UInt32(symbol) << 8
                    node = 0
                }
                if mayEndAt[node] { entry |= Transition.mayEndFlag }
                table[state << 4 | nibble] = entry | UInt32(node)
            }
        }
        return table
    }()
}

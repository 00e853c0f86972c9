/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny seeded PRNG, so that a fuzz run is a pure function of
/// its seed and can be replayed exactly.
///
/// Not cryptographic. Every 64-bit seed is fine (0 included); two generators with the same seed produce
/// the same sequence on every platform.
///
///     var random = SplitMix64(seed: 42)
///     random.below(10)          // 0..<10
///     random.chance(percent: 5) // true about one time in 20
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (`bound` > 0), without modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(_:) needs a positive bound")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// A value in `range` (not empty).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `percent` / 100.
    public mutating func chance(percent: Int) -> Bool { below(100) < percent }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ elements: [T]) -> T { elements[below(elements.count)] }

    /// An index into `weights` (non-negative, not all zero), chosen with probability proportional to its weight.
    public mutating func weighted(_ weights: [Int]) -> Int {
        var roll = below(weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            if roll < weight { return index }
            roll -= weight
        }
        return weights.count - 1
    }
}

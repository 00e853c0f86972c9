/// A latency histogram in nanoseconds with log-linear buckets, preallocated: recording never allocates.
///
/// Values below `2^subBits` get a bucket each; above that, every power-of-two range `[2^e, 2^(e+1))` is
/// split into `2^(subBits-1)` equal buckets, so a bucket is at most `2^-(subBits-1)` of its value wide
/// (0.8% with the default 8 bits). Values are capped at `2^maxExponent` ns (about 36 minutes with 41).
/// Count, sum, sum of squares, minimum and maximum are kept exactly.
public struct Histogram: Sendable {
    public let subBits: Int
    public let maxExponent: Int
    public private(set) var buckets: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var minimum: UInt64 = .max
    public private(set) var maximum: UInt64 = 0
    /// Sums in Double: exact enough for mean and standard deviation, and cannot overflow.
    public private(set) var sum: Double = 0
    public private(set) var sumOfSquares: Double = 0

    public init(subBits: Int = 8, maxExponent: Int = 41) {
        precondition(subBits >= 2 && subBits < maxExponent && maxExponent < 63, "invalid histogram shape")
        self.subBits = subBits
        self.maxExponent = maxExponent
        let linear = 1 << subBits
        let perPower = 1 << (subBits - 1)
        buckets = [UInt64](repeating: 0, count: linear + (maxExponent - subBits) * perPower)
    }

    /// The bucket holding `value` (values above the cap land in the last bucket).
    public func bucketIndex(_ value: UInt64) -> Int {
        let linear = UInt64(1) << UInt64(subBits)
        if value < linear { return Int(value) }
        let capped = min(value, (UInt64(1) << UInt64(maxExponent)) - 1)
        let exponent = 63 - capped.leadingZeroBitCount  // capped is in [2^exponent, 2^(exponent+1))
        let shift = exponent - (subBits - 1)
        let sub = Int(capped >> UInt64(shift)) - (1 << (subBits - 1))  // 0 ..< 2^(subBits-1)
        return Int(linear) + (exponent - subBits) * (1 << (subBits - 1)) + sub
    }

    /// The smallest value of bucket `index`, and its width.
    public func bucketRange(_ index: Int) -> (low: UInt64, width: UInt64) {
        let linear = 1 << subBits
        if index < linear { return (UInt64(index), 1) }
        let perPower = 1 << (subBits - 1)
        let exponent = (index - linear) / perPower + subBits
        let sub = (index - linear) % perPower
        let shift = exponent - (subBits - 1)
        return (UInt64(perPower + sub) << UInt64(shift), UInt64(1) << UInt64(shift))
    }

    public mutating func record(_ value: UInt64) {
        buckets[bucketIndex(value)] &+= 1
        count &+= 1
        if value < minimum { minimum = value }
        if value > maximum { maximum = value }
        let v = Double(value)
        sum += v
        sumOfSquares += v * v
    }

    public mutating func merge(_ other: Histogram) {
        precondition(other.subBits == subBits && other.maxExponent == maxExponent, "histogram shapes differ")
        for i in buckets.indices { buckets[i] &+= other.buckets[i] }
        count &+= other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }

    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// Population standard deviation (as etcd's benchmark reports it).
    public var standardDeviation: Double {
        guard count > 1 else { return 0 }
        let m = mean
        let variance = sumOfSquares / Double(count) - m * m
        return variance > 0 ? variance.squareRoot() : 0
    }

    /// The value below which `percent` % of the samples fall (nearest rank), as the middle of the bucket
    /// holding that rank, clamped to the exact minimum and maximum. 0 when empty.
    public func percentile(_ percent: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        if percent <= 0 { return minimum }
        if percent >= 100 { return maximum }
        var rank = UInt64((percent / 100 * Double(count)).rounded(.up))
        if rank < 1 { rank = 1 }
        var seen: UInt64 = 0
        for (index, n) in buckets.enumerated() where n > 0 {
            seen += n
            if seen >= rank {
                let (low, width) = bucketRange(index)
                let middle = low + (width - 1) / 2
                return min(max(middle, minimum), maximum)
            }
        }
        return maximum
    }

    /// Counts per interval for the coarse response-time histogram of the summary: `marks` ascending,
    /// result `i` counts the samples whose bucket middle (clamped to the exact minimum and maximum) is
    /// at least `marks[i]` and below `marks[i + 1]` (the last interval is open above). Sums to `count`
    /// when `marks[0] <= minimum`.
    public func distribute(over marks: [UInt64]) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: marks.count)
        guard !marks.isEmpty else { return result }
        for (index, n) in buckets.enumerated() where n > 0 {
            let (low, width) = bucketRange(index)
            let middle = min(max(low + (width - 1) / 2, minimum), maximum)
            var slot = 0
            while slot + 1 < marks.count && marks[slot + 1] <= middle { slot += 1 }
            result[slot] += n
        }
        return result
    }
}

import Testing
@testable import KVBenchCore

@Suite struct HistogramTests {
    @Test func bucketsCoverEveryValueContiguously() {
        let h = Histogram()
        var expected = 0
        var value: UInt64 = 0
        // Walk bucket by bucket: each starts where the previous ended.
        while expected < h.buckets.count - 1 {
            let (low, width) = h.bucketRange(expected)
            #expect(low == value)
            #expect(h.bucketIndex(low) == expected)
            #expect(h.bucketIndex(low + width - 1) == expected)
            value = low + width
            expected += 1
        }
    }

    @Test func relativeBucketWidthIsBounded() {
        let h = Histogram()
        for value in [UInt64(300), 1_000, 12_345, 999_999, 50_000_000, 3_000_000_000] {
            let (low, width) = h.bucketRange(h.bucketIndex(value))
            #expect(value >= low && value < low + width)
            #expect(Double(width) / Double(low) <= 1.0 / 128 + 1e-12)
        }
    }

    @Test func hugeValuesAreCapped() {
        var h = Histogram()
        h.record(.max)
        #expect(h.count == 1)
        #expect(h.maximum == .max)
        #expect(h.buckets.last == 1)
    }

    @Test func exactForSmallValues() {
        var h = Histogram()
        for v in 1...100 { h.record(UInt64(v)) }
        #expect(h.count == 100)
        #expect(h.minimum == 1 && h.maximum == 100)
        #expect(h.mean == 50.5)
        #expect(h.percentile(50) == 50)
        #expect(h.percentile(90) == 90)
        #expect(h.percentile(99) == 99)
        #expect(h.percentile(99.9) == 100)
        #expect(h.percentile(100) == 100)
        #expect(h.percentile(0) == 1)
        // population standard deviation of 1...100
        #expect(abs(h.standardDeviation - 28.866070047722118) < 1e-9)
    }

    @Test func percentilesWithinBucketPrecision() {
        var h = Histogram()
        // 1 µs .. 10 ms, uniform in steps of 1 µs
        for i in 1...10_000 { h.record(UInt64(i) * 1_000) }
        for p in [10.0, 25, 50, 75, 90, 95, 99, 99.9] {
            let exact = Double(Int((p / 100 * 10_000).rounded(.up))) * 1_000
            let got = Double(h.percentile(p))
            #expect(abs(got - exact) / exact < 0.01, "p\(p): \(got) vs \(exact)")
        }
    }

    @Test func emptyHistogram() {
        let h = Histogram()
        #expect(h.percentile(50) == 0)
        #expect(h.mean == 0)
        #expect(h.standardDeviation == 0)
    }

    @Test func mergeAddsUp() {
        var a = Histogram(), b = Histogram()
        for v in 1...50 { a.record(UInt64(v) * 1000) }
        for v in 51...100 { b.record(UInt64(v) * 1000) }
        a.merge(b)
        #expect(a.count == 100)
        #expect(a.minimum == 1000 && a.maximum == 100_000)
        #expect(abs(Double(a.percentile(50)) - 50_000) / 50_000 < 0.01)
    }

    @Test func distributeSumsToCount() {
        var h = Histogram()
        for i in 0..<1000 { h.record(UInt64(100_000 + i * 37)) }
        let marks = Summary.coarseMarks(h)
        #expect(marks.count == 11)
        #expect(marks.first == h.minimum && marks.last == h.maximum)
        let counts = h.distribute(over: marks)
        #expect(counts.reduce(0, +) == 1000)
        // roughly uniform: each of the first ten intervals gets about a tenth
        for n in counts.prefix(10) { #expect(n > 80 && n < 120) }
    }
}

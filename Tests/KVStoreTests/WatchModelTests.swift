import Testing
@testable import KVStore
import TestSupport

/// Watchers against a deliberately simple reference: every write is also recorded as the events it
/// should produce; each watcher — polled at random moments and sizes, often left to fall far behind its
/// tiny buffer so it must catch up from history, sometimes compacted past — must deliver exactly the
/// reference's events for its range and filters, in order, none lost or repeated, until it ends.
@Suite struct WatchModelTests {
    struct Expected: Equatable, CustomStringConvertible {
        var revision: Int64
        var isPut: Bool
        var key: [UInt8]
        var value: [UInt8]
        var createRevision: Int64
        var version: Int64
        var previous: [UInt8]?

        var description: String {
            "\(revision) \(isPut ? "put" : "del") \(String(decoding: key, as: UTF8.self))=\(String(decoding: value, as: UTF8.self)) c\(createRevision) v\(version) prev=\(previous.map { String(decoding: $0, as: UTF8.self) } ?? "-")"
        }
    }

    /// The reference: current key-values and every event ever made.
    struct Reference {
        var live: [[UInt8]: (value: [UInt8], create: Int64, version: Int64)] = [:]
        var events: [Expected] = []
        var revision: Int64 = 1

        mutating func put(_ keys: [[UInt8]], value: [UInt8]) {
            revision += 1
            for key in keys {
                let old = live[key]
                let create = old?.create ?? revision
                let version = (old?.version ?? 0) + 1
                live[key] = (value, create, version)
                events.append(Expected(revision: revision, isPut: true, key: key, value: value, createRevision: create,
                                       version: version, previous: old?.value))
            }
        }

        mutating func delete(_ range: KeyRange) {
            let doomed = live.keys.filter { range.contains($0) }.sorted { $0.lexicographicallyPrecedes($1) }
            guard !doomed.isEmpty else { return }
            revision += 1
            for key in doomed {
                events.append(Expected(revision: revision, isPut: false, key: key, value: [], createRevision: 0, version: 0,
                                       previous: live.removeValue(forKey: key)!.value))
            }
        }
    }

    struct Watch {
        let watcher: Watcher
        let range: KeyRange
        let from: Int64
        let request: WatchRequest
        var received: [Expected] = []
        var canceledAt: Int64?
    }

    static func take(_ watch: inout Watch, maxEvents: Int) {
        for response in watch.watcher.poll(maxEvents: maxEvents) {
            #expect(watch.canceledAt == nil, "a response after the cancel")
            for event in response.events {
                watch.received.append(Expected(revision: event.kv.modRevision, isPut: event.type == .put, key: event.kv.key,
                                               value: event.kv.value, createRevision: event.kv.createRevision,
                                               version: event.kv.version, previous: event.prevKV?.value))
            }
            if response.canceled { watch.canceledAt = response.compactRevision }
        }
    }

    @Test(arguments: [0x3a7c_0001, 0x3a7c_0002, 0x3a7c_0003] as [UInt64])
    func watchersDeliverExactlyTheReferenceEvents(seed: UInt64) throws {
        print("WatchModel seed: \(String(seed, radix: 16))")
        var generator = SeededGenerator(seed: seed)
        let store = Store()
        store.state.withLock { $0.watchers.maximumBufferedEvents = 3 }
        var reference = Reference()
        var watches: [Watch] = []
        let letters: [UInt8] = Array("abcd".utf8)
        func key() -> [UInt8] { (0..<Int.random(in: 1...2, using: &generator)).map { _ in letters.randomElement(using: &generator)! } }
        func range() -> KeyRange {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return .single(key())
            case 1: return .fromKey([0])
            case 2: return .prefix([letters.randomElement(using: &generator)!])
            default: return KeyRange(key: key(), rangeEnd: key())
            }
        }
        for _ in 0..<3000 {
            switch Int.random(in: 0..<20, using: &generator) {
            case 0..<7:
                let k = key(), v = [UInt8.random(in: 97...122, using: &generator)]
                try store.put(PutRequest(key: k, value: v))
                reference.put([k], value: v)
            case 7..<9:
                let keys = Array(Set((0..<Int.random(in: 2...4, using: &generator)).map { _ in key() }))
                _ = try store.txn(TxnRequest(success: keys.map { .put(PutRequest(key: $0, value: Array("t".utf8))) }))
                reference.put(keys, value: Array("t".utf8))
            case 9..<11:
                let r = range()
                let (k, end) = r.wire
                _ = try store.deleteRange(DeleteRangeRequest(key: k, rangeEnd: end))
                reference.delete(r)
            case 11:
                if reference.revision > 300, Int.random(in: 0..<4, using: &generator) == 0 {
                    _ = try? store.compact(CompactionRequest(revision: reference.revision - Int64.random(in: 60...300, using: &generator)))
                }
            case 12, 13:
                if watches.count < 12 {
                    let r = range()
                    let (k, end) = r.wire
                    let past = Bool.random(using: &generator)
                    let start = past ? Int64.random(in: max(1, reference.revision - 40)...reference.revision, using: &generator) : 0
                    var request = WatchRequest(key: k, rangeEnd: end, startRevision: start, prevKV: Bool.random(using: &generator))
                    request.noPut = Int.random(in: 0..<6, using: &generator) == 0
                    request.noDelete = !request.noPut && Int.random(in: 0..<6, using: &generator) == 0
                    let watcher = try store.watch(request, onReady: {})
                    watches.append(Watch(watcher: watcher, range: r, from: past ? start : reference.revision + 1, request: request))
                }
            default:
                if !watches.isEmpty {
                    let index = Int.random(in: 0..<watches.count, using: &generator)
                    Self.take(&watches[index], maxEvents: Int.random(in: 1...40, using: &generator))
                }
            }
        }
        for index in watches.indices {
            for _ in 0..<100_000 where !watches[index].watcher.isFinished {
                let before = watches[index].received.count
                Self.take(&watches[index], maxEvents: 7)
                if watches[index].received.count == before && watches[index].watcher.poll(maxEvents: 7).isEmpty { break }
            }
        }
        var checked = 0
        for watch in watches {
            let expected = reference.events.filter { event in
                event.revision >= watch.from && watch.range.contains(event.key)
                    && !(event.isPut && watch.request.noPut) && !(!event.isPut && watch.request.noDelete)
            }.map { event -> Expected in
                var event = event
                if !watch.request.prevKV { event.previous = nil }
                return event
            }
            if let compactRevision = watch.canceledAt {
                // Canceled by a compaction: what came is an exact prefix, and the cancel names a
                // compaction past everything delivered.
                #expect(Array(expected.prefix(watch.received.count)) == watch.received)
                #expect(compactRevision > (watch.received.last?.revision ?? 0))
            } else {
                #expect(watch.received == expected, "watch of \(watch.range) from \(watch.from)")
                checked += 1
            }
        }
        #expect(checked > 0, "some watches ran to the end uncanceled")
        print("WatchModel: \(watches.count) watches, \(checked) uncanceled, \(reference.events.count) events")
    }
}

import Glibc
import KVStore
import Synchronization

/// The write-ahead log: a `StoreJournal` that makes every change a store applies durable, with group
/// commit.
///
/// The store appends each record under its lock (`append`): the record is framed into an in-memory
/// queue and gets the next index; nothing else happens there. One writer thread takes everything queued
/// at once — the writes of every event loop since its last turn — and writes it with one `write` and
/// one `fdatasync`, then publishes `durableIndex`. While it syncs, the loops keep serving and queueing,
/// so the next batch is ready when the sync returns: under load each sync carries many writes.
///
/// Replies are released by the server once `durableIndex` covers them (`WALSyncMode.holdsReplies`);
/// `onDurable` tells it when to look.
///
/// A failed write or sync (`ENOSPC`, `EIO`) is never treated as done: `onFault` is told (the server
/// raises the NOSPACE alarm so new writes are refused), the bytes that failed are cut off the file, and
/// the same batch is written again every `retryInterval` until it succeeds (`onFault(nil)`); until then
/// `durableIndex` does not move, so no reply that depends on it is released.
public final class WriteAheadLog: StoreJournal, @unchecked Sendable {
    // @unchecked Sendable: the queue fields are guarded by `mutex`; the segment fields belong to the
    // writer thread (and to `start`/`stop`, which run before it starts and after it ends).

    public let directory: String
    public let mode: WALSyncMode
    private let storage: any WALStorage

    /// The index of the last record appended, and of the last one known durable (synced in `always`
    /// mode, written in the others).
    public let appendedIndex: Atomic<UInt64>
    public let durableIndex: Atomic<UInt64>
    /// Syncs done and records they covered (writes per sync = records / syncs).
    public let syncCount = Atomic<UInt64>(0)
    public let syncedRecords = Atomic<UInt64>(0)
    /// Whether the disk is failing (writes are being retried).
    public let isFaulted = Atomic<Bool>(false)

    // Queue (under `mutex`).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wakeWriter: UnsafeMutablePointer<pthread_cond_t>
    private let wakeAppenders: UnsafeMutablePointer<pthread_cond_t>
    private var queued: [UInt8] = []
    private var queuedRecords = 0
    private var nextIndex: UInt64
    private var writerIdle = false
    /// While the writer gathers a batch: how many queued records make it go at once.
    private var gatherTarget = Int.max
    private var stopping = false
    private var rotationRequests = 0
    private var rotationsDone = 0
    private var rotationFirstIndex: UInt64 = 0
    private var rotationError: WALError?

    // Writer thread.
    private var segment: (any WALFile)?
    private var segmentPath = ""
    private var segmentLength = 0
    private var segmentRecords = 0
    private var lastWritten: UInt64
    private var lastSync: UInt64 = 0
    /// How long the last sync took, and how many records the last batch held (for `gather`).
    private var lastSyncNanoseconds: UInt64 = 0
    private var lastBatchRecords = 0
    private var unsynced = false
    /// Records written since the last sync (what the next sync makes durable).
    private var unsyncedRecords = 0
    private var thread: pthread_t?

    /// Records and bytes in the current segment (what the snapshot scheduler compares with its limits).
    public let segmentRecordCount = Atomic<Int>(0)
    public let segmentByteCount = Atomic<Int>(0)

    /// Called on the writer thread after `durableIndex` advanced.
    public var onDurable: (@Sendable (UInt64) -> Void)?
    /// Called on the writer thread when writing starts failing (with the error) and when it works again (nil).
    public var onFault: (@Sendable (WALError?) -> Void)?
    /// How long to wait before writing a failed batch again.
    public var retryInterval: UInt64 = 1_000_000_000
    /// Queued bytes beyond which `append` waits for the writer (in `interval` and `none` modes, where
    /// replies are not held, this is what keeps a slow disk from filling memory).
    public var queueLimit = 64 << 20

    /// A log continuing after record `lastIndex` (what `WALRecovery` found), in `directory`.
    public init(directory: String, lastIndex: UInt64, mode: WALSyncMode, storage: any WALStorage = PosixWALStorage()) {
        self.directory = directory
        self.mode = mode
        self.storage = storage
        nextIndex = lastIndex + 1
        lastWritten = lastIndex
        appendedIndex = Atomic(lastIndex)
        durableIndex = Atomic(lastIndex)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        wakeWriter = .allocate(capacity: 1)
        wakeAppenders = .allocate(capacity: 1)
        for cond in [wakeWriter, wakeAppenders] {
            cond.initialize(to: pthread_cond_t())
            var attributes = pthread_condattr_t()
            pthread_condattr_init(&attributes)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
            pthread_cond_init(cond, &attributes)
            pthread_condattr_destroy(&attributes)
        }
        queued.reserveCapacity(1 << 20)
    }

    deinit {
        for cond in [wakeWriter, wakeAppenders] {
            pthread_cond_destroy(cond)
            cond.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    // MARK: Life cycle

    /// Begins a new segment for the records to come and starts the writer thread.
    /// - Parameter startRevision: the store's revision now (recorded in the segment header).
    public func start(startRevision: Int64) throws(WALError) {
        try beginSegment(startRevision: startRevision)
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let log = Unmanaged<WriteAheadLog>.fromOpaque(argument!).takeRetainedValue()
            log.run()
            return nil
        }, box.toOpaque())
        guard result == 0 else {
            box.release()
            throw .io("pthread_create", path: directory, errno: result)
        }
        thread = handle
    }

    /// Writes and syncs everything queued, then stops the writer thread. Appends after this are lost.
    public func stop() {
        lock()
        stopping = true
        pthread_cond_broadcast(wakeWriter)
        pthread_cond_broadcast(wakeAppenders)
        unlock()
        if let thread { pthread_join(thread, nil) }
        thread = nil
        segment?.close()
        segment = nil
    }

    // MARK: Appending (under the store's lock)

    public func append(_ record: UnsafeRawBufferPointer) {
        lock()
        while queued.count >= queueLimit && !stopping && !isFaulted.load(ordering: .relaxed) {
            pthread_cond_wait(wakeAppenders, mutex)
        }
        let index = nextIndex
        nextIndex += 1
        WALFormat.appendFrame(index: index, payload: record, to: &queued)
        queuedRecords += 1
        appendedIndex.store(index, ordering: .releasing)
        if writerIdle || queuedRecords == gatherTarget { pthread_cond_signal(wakeWriter) }
        unlock()
    }

    // MARK: Segments

    /// Ends the current segment and begins a new one at the next record, on the writer thread, and
    /// waits for it. Every record in the earlier segments was applied to the store before this returns,
    /// so a snapshot taken afterwards covers them all (see `removeSegments(before:)`).
    /// - Returns: the new segment's first index.
    public func rotate() throws(WALError) -> UInt64 {
        lock()
        defer { unlock() }
        rotationRequests += 1
        let ticket = rotationRequests
        pthread_cond_signal(wakeWriter)
        while rotationsDone < ticket && !stopping && !isFaulted.load(ordering: .relaxed) {
            pthread_cond_wait(wakeAppenders, mutex)
        }
        if let error = rotationError {
            rotationError = nil
            throw error
        }
        guard rotationsDone >= ticket else {
            // Not waited for: the writer retries a failed write until the disk works again.
            throw WALError(.inconsistent, path: directory, reason: stopping ? "the log is stopping" : "the log cannot write (see the error logged before)")
        }
        return rotationFirstIndex
    }

    /// Removes the segments wholly before `firstIndex` (the segment `rotate` began): call it once a
    /// snapshot taken after that rotation is durable.
    /// - Returns: the names removed.
    @discardableResult
    public func removeSegments(before firstIndex: UInt64) throws(WALError) -> [String] {
        let names = try storage.fileNames(in: directory).filter { name in
            WALFormat.firstIndex(ofSegmentNamed: name).map { $0 < firstIndex } ?? false
        }.sorted()
        for name in names { try storage.remove(directory + "/" + name) }
        if !names.isEmpty { try storage.syncDirectory(directory) }
        return names
    }

    /// Creates the segment the next records go to (writer thread, or before it starts).
    private func beginSegment(startRevision: Int64) throws(WALError) {
        let first = lastWritten + 1
        let path = directory + "/" + WALFormat.segmentName(firstIndex: first)
        let file = try storage.create(path)
        do throws(WALError) {
            let header = WALFormat.SegmentHeader(firstIndex: first, startRevision: startRevision).encoded
            try file.writeAll(header)
            try file.sync()
            try storage.syncDirectory(directory)
        } catch {
            file.close()
            try? storage.remove(path)
            throw error
        }
        if let old = segment {
            if unsynced { try? old.sync() }
            old.close()
        }
        segment = file
        segmentPath = path
        segmentLength = WALFormat.headerSize
        segmentRecords = 0
        segmentRecordCount.store(0, ordering: .relaxed)
        segmentByteCount.store(segmentLength, ordering: .relaxed)
    }

    // MARK: The writer thread

    private func run() {
        var batch: [UInt8] = []
        batch.reserveCapacity(1 << 20)
        while true {
            lock()
            while queued.isEmpty && rotationsDone == rotationRequests && !stopping && !syncIsDue() {
                writerIdle = true
                waitForWriter(timeout: idleWait())
                writerIdle = false
            }
            gather()
            let stop = stopping
            swap(&batch, &queued)
            let records = queuedRecords
            queuedRecords = 0
            let last = nextIndex - 1
            let rotationWanted = rotationsDone < rotationRequests
            pthread_cond_broadcast(wakeAppenders)
            unlock()

            if !batch.isEmpty {
                lastBatchRecords = records
                WALFormat.sealFrames(&batch)
                writeDurably(batch, records: records, last: last)
                batch.removeAll(keepingCapacity: batch.capacity <= 8 << 20)
            } else if unsynced && syncIsDue() {
                syncNow(last: lastWritten)
            }
            if rotationWanted { rotateNow() }
            if stop {
                lock()
                let empty = queued.isEmpty
                unlock()
                if empty { return }
            }
        }
    }

    /// Group commit's other half (`always` mode, under `mutex`): the writes the last sync released come
    /// back as soon as their clients have the replies; give them a moment — at most half a sync — so that
    /// one sync carries them together instead of splitting them over two. Without it, clients fall into
    /// groups that alternate between syncs and each sync carries a fraction of them. A lone writer (a
    /// last batch of one record) never waits.
    private func gather() {
        guard mode == .always, lastBatchRecords > 1, queuedRecords < lastBatchRecords,
              rotationsDone == rotationRequests, !stopping else { return }
        let deadline = WriteAheadLog.now() + min(max(lastSyncNanoseconds / 2, 20_000), 2_000_000)
        gatherTarget = lastBatchRecords
        while queuedRecords < gatherTarget && !stopping {
            let now = WriteAheadLog.now()
            if now >= deadline { break }
            waitForWriter(timeout: deadline - now)
        }
        gatherTarget = Int.max
    }

    /// Writes one batch and, per the mode, syncs it; retries until it is done or the log stops.
    private func writeDurably(_ batch: [UInt8], records: Int, last: UInt64) {
        var failure: WALError?
        while true {
            do throws(WALError) {
                try segment!.writeAll(batch)
                unsynced = true
                if mode == .always || (mode != .none && syncIsDue()) { try sync() }
                // Counted only now: after a failed sync the batch is cut off and written again.
                segmentLength += batch.count
                if failure != nil {
                    isFaulted.store(false, ordering: .relaxed)
                    onFault?(nil)
                }
                break
            } catch {
                if failure == nil {
                    isFaulted.store(true, ordering: .relaxed)
                    onFault?(error)
                    // A rotation waiting for this write gives up; appenders waiting for room go on.
                    lock()
                    pthread_cond_broadcast(wakeAppenders)
                    unlock()
                }
                failure = error
                // Whatever part of the batch reached the file is cut off before it is written again: a
                // sync that failed may have lost pages that a later sync would then call clean.
                try? segment!.truncate(to: segmentLength)
                lock()
                if stopping {
                    unlock()
                    return
                }
                waitForWriter(timeout: retryInterval)
                let stop = stopping
                unlock()
                if stop { return }
            }
        }
        lastWritten = last
        segmentRecords += records
        segmentRecordCount.store(segmentRecords, ordering: .relaxed)
        segmentByteCount.store(segmentLength, ordering: .relaxed)
        unsyncedRecords += records
        if !unsynced {
            syncedRecords.add(UInt64(unsyncedRecords), ordering: .relaxed)
            unsyncedRecords = 0
        }
        // Sequentially consistent: a loop marks itself waiting, then reads this (`DurabilityGate`).
        durableIndex.store(last, ordering: .sequentiallyConsistent)
        onDurable?(last)
    }

    private func syncNow(last: UInt64) {
        do {
            try sync()
            syncedRecords.add(UInt64(unsyncedRecords), ordering: .relaxed)
            unsyncedRecords = 0
        } catch {
            // In the interval and none modes replies were not held: say so, keep going, try again.
            onFault?(error)
            onFault?(nil)
        }
    }

    private func sync() throws(WALError) {
        let started = WriteAheadLog.now()
        try segment!.sync()
        unsynced = false
        lastSync = WriteAheadLog.now()
        lastSyncNanoseconds = lastSync &- started
        syncCount.add(1, ordering: .relaxed)
    }

    private func rotateNow() {
        var error: WALError?
        // A segment with no record yet is already where the next records go.
        if segmentRecords > 0 {
            do { try beginSegment(startRevision: 0) } catch let failure { error = failure }
        }
        lock()
        rotationError = error
        rotationFirstIndex = lastWritten + 1
        rotationsDone = rotationRequests
        pthread_cond_broadcast(wakeAppenders)
        unlock()
    }

    /// In `interval` mode: whether unsynced writes have waited an interval.
    private func syncIsDue() -> Bool {
        guard case .interval(let interval) = mode, unsynced else { return false }
        return WriteAheadLog.now() &- lastSync >= interval
    }

    private func idleWait() -> UInt64 {
        if case .interval(let interval) = mode, unsynced { return interval }
        return 1_000_000_000
    }

    private func waitForWriter(timeout: UInt64) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = UInt64(deadline.tv_nsec) + timeout
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_cond_timedwait(wakeWriter, mutex, &deadline)
    }

    private func lock() { pthread_mutex_lock(mutex) }
    private func unlock() { pthread_mutex_unlock(mutex) }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

import KVProtocol
import KVStore
import KVWAL
import Synchronization

/// What every event loop shares: the store, the member's identity, the configuration, the logger,
/// the NOSPACE alarm and a few counters. Everything here is immutable or atomic.
final class ServerState: Sendable {
    let store: Store
    let config: ServerConfig
    let identity: MemberIdentity
    let logger: Logger
    let quota: Int64

    /// The NOSPACE alarm as last logged: the store raises it under a refused write's own lock
    /// (`StoreConfiguration.quotaBytes`); `refreshAlarm`, every 500 ms, logs changes and lowers it once
    /// the store is back under the quota (after deletes and a compaction) — there is no ALARM-DISARM step.
    private let alarmLogged = Atomic<Bool>(false)
    /// Open client connections.
    let connectionCount = Atomic<Int>(0)
    /// The largest unsent output any connection held after a processing round (for tests and STATUS).
    let peakOutputBytes = Atomic<Int>(0)
    private let nextConnectionID = Atomic<UInt64>(1)
    /// Where logins check passwords, off the event loops.
    let passwordChecker: PasswordChecker
    /// Where long jobs run, off the event loops.
    let worker = Worker()
    /// Slows password guessing across connections; logins go through it to the checker.
    let loginGuard: LoginGuard
    /// Every loop's counters, for `/metrics`.
    let metrics = MetricsRegistry()
    /// The data dir's write-ahead log (nil without a data dir), and, unless it syncs `none`, where
    /// replies wait for it.
    let writeAheadLog: WriteAheadLog?
    let durabilityGate: DurabilityGate?

    /// - Parameter store: a store loaded from the data dir (built with `storeConfiguration`); a fresh one when nil.
    init(config: ServerConfig, clock: any StoreClock, logger: Logger, store: Store? = nil,
         writeAheadLog: WriteAheadLog? = nil) {
        self.config = config
        self.writeAheadLog = writeAheadLog
        durabilityGate = writeAheadLog.flatMap { $0.mode.holdsReplies ? DurabilityGate(log: $0) : nil }
        self.identity = MemberIdentity(name: config.name, advertiseClientURLs: config.effectiveAdvertiseURLs)
        self.logger = logger
        self.quota = config.effectiveQuota
        let store = store ?? Store(configuration: ServerState.storeConfiguration(config: config, clock: clock))
        self.store = store
        self.passwordChecker = PasswordChecker(auth: store.auth)
        self.loginGuard = LoginGuard(checker: passwordChecker, baseDelay: config.authFailureDelay, logger: logger)
    }

    /// The store configuration this server's flags describe (identity, limits, clock).
    static func storeConfiguration(config: ServerConfig, clock: any StoreClock) -> StoreConfiguration {
        let identity = MemberIdentity(name: config.name, advertiseClientURLs: config.effectiveAdvertiseURLs)
        return StoreConfiguration(clusterID: identity.clusterID, memberID: identity.memberID,
                                  maxTxnOps: config.maxTxnOps, clock: clock, authTokenTTL: config.authTokenTTL,
                                  passwordHashIterations: config.passwordHashIterations,
                                  quotaBytes: Int(clamping: config.effectiveQuota))
    }

    func makeConnectionID() -> UInt64 { nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue }

    var isNoSpaceAlarmed: Bool { store.isNoSpaceAlarmed }

    /// Logs the alarm's changes, and lowers it once the store is back under the quota.
    func refreshAlarm() {
        // The log's own NOSPACE stays up until the log can write again (it lowers it then).
        let logFailing = writeAheadLog?.isFaulted.load(ordering: .relaxed) ?? false
        if !logFailing, store.clearNoSpaceAlarmIfUnderQuota() {
            logger.info("alarm cleared: NOSPACE (store size \(store.sizeInBytes) bytes, quota \(quota) bytes)")
            alarmLogged.store(false, ordering: .relaxed)
        } else if store.isNoSpaceAlarmed, !alarmLogged.exchange(true, ordering: .relaxed) {
            logger.warn("alarm raised: NOSPACE (store size \(store.sizeInBytes) bytes, quota \(quota) bytes)")
        }
    }

    /// etcd's alarm text for STATUS.
    var alarms: [String] {
        isNoSpaceAlarmed ? ["memberID:\(String(identity.memberID, radix: 16)) alarm:NOSPACE"] : []
    }

    func notePeakOutput(_ bytes: Int) {
        var current = peakOutputBytes.load(ordering: .relaxed)
        while bytes > current {
            let (exchanged, original) = peakOutputBytes.compareExchange(
                expected: current, desired: bytes, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    func header() -> ResponseHeader {
        ResponseHeader(clusterID: identity.clusterID, memberID: identity.memberID, revision: store.revision,
                       raftTerm: store.configuration.raftTerm)
    }
}

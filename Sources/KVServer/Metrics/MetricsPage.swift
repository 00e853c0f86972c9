import KVProtocol
import KVStore
import KVWAL

/// The body of `GET /metrics`: etcd's metrics where kvserver has the same meaning (same names, so
/// etcd dashboards and alerts work), Prometheus's `process_*` metrics, and kvserver's own `kvserver_*`.
///
/// Built at scrape time from the loops' counters (`MetricsRegistry.totals`), one `Store.statistics`
/// lock hold, a few atomics of `ServerState` and `/proc/self`; nothing is counted or locked per request
/// beyond the loop counters.
enum MetricsPage {
    static func render(state: ServerState) -> [UInt8] {
        let totals = state.metrics.totals()
        let store = state.store.statistics
        var text = PrometheusText()
        typealias Layout = LoopMetrics.Layout

        // etcd: server
        text.single("etcd_server_has_leader", .gauge, help: "Whether or not a leader exists. 1 is existence, 0 is not.", 1)
        text.single("etcd_server_is_leader", .gauge, help: "Whether or not this member is a leader. 1 if is, 0 otherwise.", 1)
        text.family("etcd_server_version", .gauge, help: "Which version is running. 1 for 'server_version' label with current version.")
        text.sample("etcd_server_version", ["server_version": Version.etcdCompatible], 1)
        text.single("etcd_server_quota_backend_bytes", .gauge, help: "Current backend storage quota size in bytes.", state.quota)
        text.single("etcd_server_health_success", .counter, help: "The total number of successful health checks",
                    totals[Layout.healthSuccesses])
        text.single("etcd_server_health_failures", .counter, help: "The total number of failed health checks",
                    totals[Layout.healthFailures])

        // The write-ahead log (a data dir): etcd's fsync count, and kvserver's batch size.
        if let log = state.writeAheadLog {
            text.single("kvserver_wal_syncs_total", .counter, help: "fdatasync calls of the write-ahead log.",
                        log.syncCount.load(ordering: .relaxed))
            text.single("kvserver_wal_synced_records_total", .counter,
                        help: "Records made durable by those syncs (records per sync = group commit batch size).",
                        log.syncedRecords.load(ordering: .relaxed))
            text.single("kvserver_wal_records_total", .counter, help: "Records appended to the write-ahead log.",
                        log.appendedIndex.load(ordering: .relaxed))
            text.single("kvserver_wal_faulted", .gauge, help: "1 while the write-ahead log cannot write (writes refused, replies held).",
                        log.isFaulted.load(ordering: .relaxed) ? 1 : 0)
        }

        // etcd: mvcc and lease
        text.single("etcd_mvcc_db_total_size_in_bytes", .gauge,
                    help: "Total size of the underlying database physically allocated in bytes.", store.sizeInBytes)
        text.single("etcd_mvcc_db_total_size_in_use_in_bytes", .gauge,
                    help: "Total size of the underlying database logically in use in bytes.", store.sizeInBytes)
        text.single("etcd_debugging_mvcc_keys_total", .gauge, help: "Total number of keys.", store.keys)
        text.single("etcd_debugging_mvcc_current_revision", .gauge, help: "The current revision of store.", store.revision)
        text.single("etcd_debugging_mvcc_compact_revision", .gauge, help: "The revision of the last compaction in store.",
                    store.compactedRevision)
        text.single("etcd_mvcc_range_total", .counter, help: "Total number of ranges seen by this member.", store.ranges)
        text.single("etcd_mvcc_put_total", .counter, help: "Total number of puts seen by this member.", store.puts)
        text.single("etcd_mvcc_delete_total", .counter, help: "Total number of deletes seen by this member.", store.deletes)
        text.single("etcd_mvcc_txn_total", .counter, help: "Total number of txns seen by this member.", store.txns)
        text.single("etcd_debugging_mvcc_watcher_total", .gauge, help: "Total number of watchers.", store.watchers)
        text.single("etcd_debugging_mvcc_slow_watcher_total", .gauge, help: "Total number of unsynced slow watchers.",
                    store.slowWatchers)
        text.single("etcd_debugging_lease_granted_total", .counter, help: "The total number of granted leases.",
                    store.leasesGranted)
        text.single("etcd_debugging_lease_revoked_total", .counter, help: "The total number of revoked leases.",
                    store.leasesRevoked)
        text.single("etcd_debugging_lease_renewed_total", .counter, help: "The number of renewed leases seen by the leader.",
                    store.leasesRenewed)

        // process
        if let process = ProcessMetrics.current() {
            text.single("process_cpu_seconds_total", .counter, help: "Total user and system CPU time spent in seconds.",
                        process.cpuSeconds)
            text.single("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.", process.residentBytes)
            text.single("process_virtual_memory_bytes", .gauge, help: "Virtual memory size in bytes.", process.virtualBytes)
            text.single("process_open_fds", .gauge, help: "Number of open file descriptors.", process.openFDs)
            text.single("process_max_fds", .gauge, help: "Maximum number of open file descriptors.", process.maxFDs)
            text.single("process_start_time_seconds", .gauge, help: "Start time of the process since unix epoch in seconds.",
                        process.startTimeSeconds)
        }

        // kvserver: connections
        let served = FrontEnd.allCases.filter { $0 != .sniffing }
        text.single("kvserver_client_connections_accepted_total", .counter,
                    help: "Client connections accepted on the client port, whatever they turned out to speak.",
                    totals[Layout.opened + FrontEnd.sniffing.rawValue])
        text.family("kvserver_client_connections_total", .counter,
                    help: "Client connections handed to each front end after their first bytes were classified.")
        for frontEnd in served {
            text.sample("kvserver_client_connections_total", ["frontend": frontEnd.label],
                        totals[Layout.opened + frontEnd.rawValue])
        }
        text.family("kvserver_client_connections_open", .gauge,
                    help: "Client connections open now, per front end (sniffing: first bytes not yet classified).")
        for frontEnd in FrontEnd.allCases {
            let open = totals[Layout.opened + frontEnd.rawValue] &- totals[Layout.closed + frontEnd.rawValue]
            text.sample("kvserver_client_connections_open", ["frontend": frontEnd.label], Int64(bitPattern: open))
        }
        text.single("kvserver_protocol_sniff_timeouts_total", .counter,
                    help: "Connections whose first line was not classified within the sniffing timeout (served as the line protocol).",
                    totals[Layout.sniffTimeouts])
        text.family("kvserver_output_pauses_total", .counter,
                    help: "Times a connection stopped reading because its unsent output reached --max-output-bytes.")
        for frontEnd in served {
            text.sample("kvserver_output_pauses_total", ["frontend": frontEnd.label], totals[Layout.outputPauses + frontEnd.rawValue])
        }

        // kvserver: requests
        text.family("kvserver_requests_total", .counter, help: "Requests received, per front end.")
        for frontEnd in served {
            text.sample("kvserver_requests_total", ["frontend": frontEnd.label], totals[Layout.requests + frontEnd.rawValue])
        }
        text.family("kvserver_request_duration_seconds", .histogram,
                    help: "Time to serve a request: run it against the store and encode its reply (line: per command; http1, http2: per route). Series appear once used.")
        for command in CommandKind.allCases {
            histogram(&text, totals, series: Layout.series(command), labels: [("frontend", "line"), ("command", command.verb)])
        }
        for frontEnd in [FrontEnd.http1, .http2] {
            for route in HTTPRoute.allCases {
                histogram(&text, totals, series: Layout.series(route, frontEnd), labels: [("frontend", frontEnd.label), ("command", route.label)])
            }
        }
        text.family("kvserver_http_responses_total", .counter,
                    help: "HTTP responses sent (HTTP/1.1, and HTTP/2 requests that are not gRPC), per status code.")
        for status in HTTPStatus.allCases where status != .continue {
            text.sample("kvserver_http_responses_total", ["code": "\(status.code)"], totals[Layout.httpStatuses + status.ordinal])
        }
        text.single("kvserver_auth_failures_total", .counter, help: "Failed logins (wrong password or unknown user).",
                    state.passwordChecker.failedLogins)
        text.single("kvserver_leases", .gauge, help: "Leases alive now.", store.leases)
        text.single("kvserver_output_peak_bytes", .gauge,
                    help: "The largest unsent output any connection has held after a processing round.",
                    state.peakOutputBytes.load(ordering: .relaxed))
        return text.bytes
    }

    private static func histogram(_ text: inout PrometheusText, _ totals: [UInt64], series: Int, labels: [(String, String)]) {
        let base = LoopMetrics.Layout.histogram(series)
        let buckets = totals[base..<(base + LoopMetrics.Layout.perSeries - 1)]
        guard buckets.contains(where: { $0 != 0 }) else { return }
        text.histogram("kvserver_request_duration_seconds", labels, bounds: LatencyBuckets.bounds, buckets: buckets,
                       sumNanoseconds: TickClock.nanoseconds(ticks: totals[base + LoopMetrics.Layout.perSeries - 1]))
    }
}

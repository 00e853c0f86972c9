import KVProtocol
import KVStore

/// One endpoint's answer for `endpoint status|hashkv|health`.
public struct EndpointStatus { public var endpoint: String; public var status: StatusResponse }
public struct EndpointHash { public var endpoint: String; public var hash: HashKVResponse }
public struct EndpointHealth {
    public var endpoint: String
    public var health: Bool
    /// Nanoseconds.
    public var took: Int64
    public var error: String
}

extension Display {
    public func memberList(_ response: MemberListResponse) throws(CtlError) {
        // etcd's member list header never carries a revision (it is not a KV read).
        var r = response
        r.header.revision = 0
        let rows = r.members.map { m in
            [GoText.hex(m.id), m.name.isEmpty ? "unstarted" : "started", m.name, m.peerURLs.joined(separator: ","),
             m.clientURLs.joined(separator: ","), String(m.isLearner)]
        }
        switch format {
        case .simple: for row in rows { console.line(row.joined(separator: ", ")) }
        case .json:
            var o = JSONObject()
            o.object("header", Display.header(r.header))
            o.array("members", r.members.map { m in
                var j = JSONObject()
                j.uint("ID", m.id)
                j.string("name", m.name)
                j.strings("peerURLs", m.peerURLs)
                j.strings("clientURLs", m.clientURLs)
                j.bool("isLearner", m.isLearner)
                return j.result
            })
            console.line(o.result)
        case .fields:
            fieldsHeader(r.header)
            for m in r.members {
                console.line("\"ID\" : \(m.id)")
                console.line("\"Name\" : \(GoText.quote(m.name))")
                for url in m.peerURLs { console.line("\"PeerURL\" : \(GoText.quote(url))") }
                for url in m.clientURLs { console.line("\"ClientURL\" : \(GoText.quote(url))") }
                console.line("\"IsLearner\" : \(m.isLearner)")
                console.line("")
            }
        case .table:
            console.out(Table.render(header: ["ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"], rows: rows))
        case .protobuf: throw format.unsupported
        }
    }

    public func endpointStatus(_ list: [EndpointStatus]) throws(CtlError) {
        let rows = list.map { e in
            let s = e.status
            return [e.endpoint, GoText.hex(s.header.memberID), s.version, GoText.humanizeBytes(UInt64(max(0, s.dbSize))),
                    String(s.leader == s.header.memberID), String(s.isLearner), String(s.raftTerm), String(s.raftIndex),
                    String(s.raftAppliedIndex), s.errors.joined(separator: ", ")]
        }
        switch format {
        case .simple: for row in rows { console.line(row.joined(separator: ", ")) }
        case .json:
            console.line("[" + list.map { e in
                let s = e.status
                var o = JSONObject()
                o.object("header", Display.header(s.header))
                o.string("version", s.version)
                o.int("dbSize", s.dbSize)
                o.uint("leader", s.leader)
                o.uint("raftIndex", s.raftIndex)
                o.uint("raftTerm", s.raftTerm)
                o.uint("raftAppliedIndex", s.raftAppliedIndex)
                o.strings("errors", s.errors)
                o.int("dbSizeInUse", s.dbSizeInUse)
                o.bool("isLearner", s.isLearner)
                return "{\"Endpoint\":\(GoText.jsonString(e.endpoint)),\"Status\":\(o.result)}"
            }.joined(separator: ",") + "]")
        case .fields:
            for e in list {
                let s = e.status
                fieldsHeader(s.header)
                console.line("\"Version\" : \(GoText.quote(s.version))")
                console.line("\"DBSize\" : \(s.dbSize)")
                console.line("\"Leader\" : \(s.leader)")
                console.line("\"IsLearner\" : \(s.isLearner)")
                console.line("\"RaftIndex\" : \(s.raftIndex)")
                console.line("\"RaftTerm\" : \(s.raftTerm)")
                console.line("\"RaftAppliedIndex\" : \(s.raftAppliedIndex)")
                console.line("\"Errors\" : [\(s.errors.joined(separator: " "))]")
                console.line("\"Endpoint\" : \(GoText.quote(e.endpoint))")
                console.line("")
            }
        case .table:
            console.out(Table.render(header: ["endpoint", "ID", "version", "db size", "is leader", "is learner", "raft term",
                                              "raft index", "raft applied index", "errors"], rows: rows))
        case .protobuf: throw format.unsupported
        }
    }

    public func endpointHashKV(_ list: [EndpointHash]) throws(CtlError) {
        switch format {
        case .simple: for e in list { console.line("\(e.endpoint), \(e.hash.hash)") }
        case .json:
            console.line("[" + list.map { e in
                var o = JSONObject()
                o.object("header", Display.header(e.hash.header))
                o.uint("hash", UInt64(e.hash.hash))
                o.int("compact_revision", e.hash.compactRevision)
                return "{\"Endpoint\":\(GoText.jsonString(e.endpoint)),\"HashKV\":\(o.result)}"
            }.joined(separator: ",") + "]")
        case .fields:
            for e in list {
                fieldsHeader(e.hash.header)
                console.line("\"Endpoint\" : \(GoText.quote(e.endpoint))")
                console.line("\"Hash\" : \(e.hash.hash)")
                console.line("")
            }
        case .table:
            console.out(Table.render(header: ["endpoint", "hash"], rows: list.map { [$0.endpoint, String($0.hash.hash)] }))
        case .protobuf: throw format.unsupported
        }
    }

    /// Health: simple output goes to stderr, as etcdctl does.
    public func endpointHealth(_ list: [EndpointHealth]) throws(CtlError) {
        switch format {
        case .simple:
            for h in list {
                if h.health {
                    console.errLine("\(h.endpoint) is healthy: successfully committed proposal: took = \(GoText.duration(nanoseconds: h.took))")
                } else {
                    console.errLine("\(h.endpoint) is unhealthy: failed to commit proposal: \(h.error)")
                }
            }
        case .json:
            console.line("[" + list.map { h in
                var o = JSONObject()
                o.string("endpoint", h.endpoint)
                o.bool("health", h.health)
                o.string("took", GoText.duration(nanoseconds: h.took))
                o.string("error", h.error)
                return o.result
            }.joined(separator: ",") + "]")
        case .fields:
            for h in list {
                console.line("\"Endpoint\" : \(GoText.quote(h.endpoint))")
                console.line("\"Health\" : \(h.health)")
                console.line("\"Took\" : \(GoText.duration(nanoseconds: h.took))")
                console.line("\"Error\" : \(h.error)")
                console.line("")
            }
        case .table:
            console.out(Table.render(header: ["endpoint", "health", "took", "error"], rows: list.map {
                [$0.endpoint, String($0.health), GoText.duration(nanoseconds: $0.took), $0.error]
            }))
        case .protobuf: throw format.unsupported
        }
    }
}

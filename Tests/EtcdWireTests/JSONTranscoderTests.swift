import EtcdWire
import KVProtocol
import KVStore
import Testing

/// etcd's messages in JSON, as etcd 3.4's gateway reads and writes them (expected texts are etcd
/// 3.4.23's answers, captured with curl).
@Suite struct JSONTranscoderTests {
    static let header = ResponseHeader(clusterID: 324952591200643719, memberID: 3319814642761637952, revision: 2, raftTerm: 2)
    static let headerJSON = #"{"cluster_id":"324952591200643719","member_id":"3319814642761637952","revision":"2","raft_term":"2"}"#

    func json(_ response: Response, _ method: EtcdMethod) throws -> String {
        var writer = JSONWriter()
        #expect(EtcdWire.appendJSONResponse(response, method: method, to: &writer))
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func responsesAreWrittenAsEtcdWritesThem() throws {
        let kv = KeyValue(key: Array("foo".utf8), value: Array("bar".utf8), createRevision: 2, modRevision: 2, version: 1)
        #expect(try json(.range(RangeResponse(header: Self.header, kvs: [kv], more: false, count: 1)), .range)
                == #"{"header":\#(Self.headerJSON),"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}"#)
        #expect(try json(.put(PutResponse(header: Self.header)), .put) == #"{"header":\#(Self.headerJSON)}"#)
        #expect(try json(.leaseGrant(LeaseGrantResponse(header: Self.header, id: 1000, ttl: 60)), .leaseGrant)
                == #"{"header":\#(Self.headerJSON),"ID":"1000","TTL":"60"}"#)
        #expect(try json(.leaseKeepAlive(LeaseKeepAliveResponse(header: Self.header, id: 78, ttl: 0)), .leaseKeepAlive)
                == #"{"header":\#(Self.headerJSON),"ID":"78"}"#)
        let deleted = WatchResponse(header: Self.header, watchID: 1,
                                    events: [Event(type: .delete, kv: KeyValue(key: [0x61], value: [], createRevision: 0, modRevision: 3, version: 0))])
        #expect(try json(.watch(deleted), .watch)
                == #"{"header":\#(Self.headerJSON),"watch_id":"1","events":[{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"3"}}]}"#)
        #expect(try json(.progress(Self.header), .watch) == #"{"header":\#(Self.headerJSON),"watch_id":"-1"}"#)
        var writer = JSONWriter()
        EtcdWire.appendJSONMessage(EtcdHashResponse(header: Self.header, hash: 2996158770), method: .hash, to: &writer)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"header":\#(Self.headerJSON),"hash":2996158770}"#)
        var alarms = JSONWriter()
        EtcdWire.appendJSONMessage(EtcdAlarmResponse(header: Self.header), method: .alarm, to: &alarms)
        #expect(String(decoding: alarms.bytes, as: UTF8.self) == "{}")
    }

    @Test func statusUsesEtcdsCamelCaseNames() throws {
        let status = StatusResponse(header: Self.header, version: "3.4.23", dbSize: 20480, dbSizeInUse: 16384,
                                    leader: 3319814642761637952, raftIndex: 5, raftTerm: 2, raftAppliedIndex: 5)
        #expect(try json(.status(status), .status)
                == #"{"header":\#(Self.headerJSON),"version":"3.4.23","dbSize":"20480","leader":"3319814642761637952","raftIndex":"5","raftTerm":"2","raftAppliedIndex":"5","dbSizeInUse":"16384"}"#)
    }

    static let requests: [(EtcdMethod, String, EtcdCall)] = [
        (.range, #"{"key":"Zm9v"}"#, .request(.range(RangeRequest(key: Array("foo".utf8))))),
        (.range, #"{"key":"Zm9v","rangeEnd":"Zm9w","limit":5,"revision":"7","sort_order":"DESCEND","sortTarget":3,"bogus":{"x":[1]},"keys_only":null}"#,
         .request(.range(RangeRequest(key: Array("foo".utf8), rangeEnd: Array("fop".utf8), limit: 5, revision: 7,
                                      sortOrder: .descend, sortTarget: .mod)))),
        (.put, #"{"key":"YQ==","value":"MQ==","lease":"1000","prev_kv":true}"#,
         .request(.put(PutRequest(key: [0x61], value: [0x31], lease: 1000, prevKV: true)))),
        (.txn, #"{"compare":[{"key":"YQ==","target":"CREATE","create_revision":"0"}],"success":[{"request_put":{"key":"YQ=="}}]}"#,
         .request(.txn(TxnRequest(compare: [Compare(key: [0x61], result: .equal, target: .createRevision(0))],
                                  success: [.put(PutRequest(key: [0x61], value: []))])))),
        (.leaseKeepAlive, #"{"ID":"77"}"#, .request(.leaseKeepAlive(77))),
        (.leaseGrant, #"{"TTL":60}"#, .request(.leaseGrant(LeaseGrantRequest(ttl: 60)))),
        (.watch, #"{"progress_request":{}}"#, .watch(.progress)),
        (.watch, #"{"cancel_request":{"watch_id":"3"}}"#, .watch(.cancel(watchID: 3))),
        (.authenticate, #"{"name":"root","password":"pw"}"#,
         .request(.authenticate(AuthenticateRequest(name: "root", password: "pw")))),
        (.memberList, "", .request(.memberList)),
        (.moveLeader, #"{"targetID":"5"}"#, .moveLeader(targetID: 5)),
    ]

    @Test(arguments: requests) func requestsAreReadAsEtcdReadsThem(_ method: EtcdMethod, _ text: String, _ expected: EtcdCall) throws {
        #expect(try EtcdWire.decodeJSONRequest(method, body: Array(text.utf8)) == expected)
    }

    static let refusals: [(EtcdMethod, String, GRPCStatus)] = [
        (.range, #"{"key":"Zm9v""#, GRPCStatus(.invalidArgument, "unexpected EOF")),
        (.range, #"{"key":"!!!"}"#, GRPCStatus(.invalidArgument, "illegal base64 data at input byte 0")),
        (.range, #"{"key":5}"#, GRPCStatus(.invalidArgument, "json: cannot unmarshal number into Go value of type []uint8")),
        (.range, #"{"limit":"x"}"#, GRPCStatus(.invalidArgument, "json: cannot unmarshal string x into Go value of type int64")),
        (.range, #"{"limit":1.5}"#, GRPCStatus(.invalidArgument, "json: cannot unmarshal number 1.5 into Go value of type int64")),
        (.range, #"{"sort_order":"UP"}"#,
         GRPCStatus(.invalidArgument, #"unknown value "UP" for enum etcdserverpb.RangeRequest_SortOrder"#)),
        (.range, #"[]"#, GRPCStatus(.invalidArgument, "json: cannot unmarshal array into Go value of type map[string]json.RawMessage")),
        (.txn, #"{"success":[{}]}"#, GRPCStatus(.invalidArgument, "etcdserver: key not found")),
        (.memberUpdate, #"{"ID":"-1"}"#, GRPCStatus(.invalidArgument, "json: cannot unmarshal string -1 into Go value of type uint64")),
    ]

    @Test(arguments: refusals) func refusesAsEtcdDoes(_ method: EtcdMethod, _ text: String, _ status: GRPCStatus) {
        #expect {
            _ = try EtcdWire.decodeJSONRequest(method, body: Array(text.utf8))
        } throws: { error in
            (error as? JSONRequestError)?.status == status
        }
    }

    /// Every request message the protobuf tests generate, written as JSON by the transcoder and read
    /// back, is the call its protobuf encoding decodes to: one definition of each message serves both.
    @Test func everyRequestRoundTripsThroughJSON() throws {
        var generator = MessageGenerator(seed: 14)
        for _ in 0..<2000 {
            let call = generator.call()
            let (method, protobuf) = try #require(EtcdWire.encodeRequest(call))
            // Downgrade (etcd 3.5) has no gateway path on etcd 3.4.
            if method == .downgrade { continue }
            var writer = JSONWriter()
            try JSONTranscoder.json(fromProtobuf: protobuf, schema: EtcdWire.jsonSchemas(method).request, into: &writer)
            let viaJSON = try EtcdWire.decodeJSONRequest(method, body: writer.bytes)
            let viaProtobuf = try EtcdWire.decodeRequest(method, protobuf)
            #expect(viaJSON == viaProtobuf, "\(method): \(String(decoding: writer.bytes, as: UTF8.self))")
        }
    }

    @Test func errorBodiesAreGrpcGatewaysErrorBody() {
        let body = EtcdWire.jsonErrorBody(GRPCStatus(.outOfRange, "etcdserver: mvcc: required revision has been compacted"))
        #expect(String(decoding: body, as: UTF8.self)
                == #"{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}"#)
        let stream = EtcdWire.jsonStreamErrorBody(GRPCStatus(.unknown, "auth: permission denied"), httpCode: 500,
                                                  httpStatus: "Internal Server Error")
        #expect(String(decoding: stream, as: UTF8.self)
                == #"{"error":{"grpc_code":2,"http_code":500,"message":"auth: permission denied","http_status":"Internal Server Error"}}"#)
    }
}

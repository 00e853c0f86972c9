/// The settings WE advertise in our SETTINGS frame (RFC 9113 §6.5.2), plus the connection receive
/// window we open with a WINDOW_UPDATE right after it (not a SETTINGS parameter: the connection window
/// always starts at 65,535 and only WINDOW_UPDATE can raise it).
///
/// Values are checked by `HTTP2ServerConnection.init` (a precondition: they are our configuration, not
/// peer input).
public struct HTTP2Settings: Sendable, Hashable {
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table the client's encoder may use.
    public var headerTableSize: Int = 4096
    /// SETTINGS_ENABLE_PUSH: a server never pushes and must not advertise 1 (§6.5.2), so this must stay
    /// false; it is not sent at all.
    public var enablePush: Bool = false
    /// SETTINGS_MAX_CONCURRENT_STREAMS: also enforced — a HEADERS that would open one stream more is
    /// answered with RST_STREAM(REFUSED_STREAM) (the client may retry it).
    public var maxConcurrentStreams: Int = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window. Large (1 MiB), because gRPC clients
    /// stall at the default 65,535 otherwise. At most 2^31-1.
    public var initialWindowSize: Int = 1 << 20
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload we accept (a larger one is a FRAME_SIZE_ERROR
    /// before anything of it is buffered). 16,384...16,777,215.
    public var maxFrameSize: Int = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE: the decoded header list size (RFC 7541 §4.1 sizes) a request may
    /// have; also the HPACK decoder's limit. A larger list is answered with a 431 response.
    public var maxHeaderListSize: Int = 16 * 1024
    /// The connection receive window we open right after our SETTINGS (a WINDOW_UPDATE on stream 0 of
    /// `initialConnectionWindowSize - 65,535`). It bounds the DATA all streams together may have
    /// delivered and not yet `consumed`. 65,535...2^31-1.
    public var initialConnectionWindowSize: Int = 1 << 20

    public init() {}

    public init(headerTableSize: Int = 4096, maxConcurrentStreams: Int = 100, initialWindowSize: Int = 1 << 20,
                maxFrameSize: Int = 16_384, maxHeaderListSize: Int = 16 * 1024,
                initialConnectionWindowSize: Int = 1 << 20) {
        self.headerTableSize = headerTableSize
        self.maxConcurrentStreams = maxConcurrentStreams
        self.initialWindowSize = initialWindowSize
        self.maxFrameSize = maxFrameSize
        self.maxHeaderListSize = maxHeaderListSize
        self.initialConnectionWindowSize = initialConnectionWindowSize
    }

    /// The protocol's defaults (RFC 9113 §6.5.2), which hold for the peer until its SETTINGS arrive.
    static let protocolDefaultWindowSize = 65_535
    static let protocolDefaultMaxFrameSize = 16_384
    static let protocolDefaultHeaderTableSize = 4096
    static let maxWindowSize = Int(Int32.max)
    static let maxFrameSizeUpperBound = (1 << 24) - 1

    /// Traps on values RFC 9113 does not allow us to advertise.
    func validate() {
        precondition(!enablePush, "a server must not advertise SETTINGS_ENABLE_PUSH = 1")
        precondition(headerTableSize >= 0 && headerTableSize <= Int(UInt32.max), "headerTableSize out of range")
        precondition(maxConcurrentStreams >= 0 && maxConcurrentStreams <= Int(UInt32.max), "maxConcurrentStreams out of range")
        precondition(initialWindowSize >= 0 && initialWindowSize <= Self.maxWindowSize, "initialWindowSize out of range")
        precondition(maxFrameSize >= Self.protocolDefaultMaxFrameSize && maxFrameSize <= Self.maxFrameSizeUpperBound,
                     "maxFrameSize out of range")
        precondition(maxHeaderListSize >= 0 && maxHeaderListSize <= Int(UInt32.max), "maxHeaderListSize out of range")
        precondition(initialConnectionWindowSize >= Self.protocolDefaultWindowSize
                        && initialConnectionWindowSize <= Self.maxWindowSize, "initialConnectionWindowSize out of range")
    }
}

/// SETTINGS parameter identifiers (RFC 9113 §6.5.2; 0x8 from RFC 8441). Unknown ones are ignored.
enum SettingsParameter: UInt16 {
    case headerTableSize = 0x1
    case enablePush = 0x2
    case maxConcurrentStreams = 0x3
    case initialWindowSize = 0x4
    case maxFrameSize = 0x5
    case maxHeaderListSize = 0x6
    case enableConnectProtocol = 0x8
}

/// What the peer has told us in its SETTINGS frames (the protocol defaults until then).
struct PeerSettings: Sendable, Hashable {
    var headerTableSize = HTTP2Settings.protocolDefaultHeaderTableSize
    var initialWindowSize = HTTP2Settings.protocolDefaultWindowSize
    var maxFrameSize = HTTP2Settings.protocolDefaultMaxFrameSize
    /// Advisory (§6.5.2); nil is "unlimited".
    var maxHeaderListSize: Int?

    /// What one SETTINGS frame changed that the connection must act on.
    struct Change {
        /// SETTINGS_INITIAL_WINDOW_SIZE's new value minus the old: added to every open stream's send
        /// window (§6.9.2; they may go negative). 0 when it did not change.
        var windowDelta = 0
        /// Each SETTINGS_HEADER_TABLE_SIZE the frame carried, in order, for the HPACK encoder.
        var headerTableSizes: [Int] = []
    }

    /// Reads the parameters of a SETTINGS frame that is not an ACK (its length already checked to be a
    /// multiple of 6), validating each as RFC 9113 §6.5.2 says; unknown identifiers are ignored.
    /// - Returns: what changed, or the connection error (code and reason) for a value out of range, in
    ///   which case the settings are left as they were before the bad value.
    mutating func apply(_ payload: UnsafeRawBufferPointer) -> Result<Change, SettingsViolation> {
        var change = Change()
        var index = 0
        while index < payload.count {
            let identifier = FramePayload.uint16(payload, at: index)
            let value = Int(FramePayload.uint32(payload, at: index + 2))
            index += 6
            switch SettingsParameter(rawValue: identifier) {
            case .headerTableSize:
                headerTableSize = value
                change.headerTableSizes.append(value)
            case .initialWindowSize:
                guard value <= FlowControlWindow.maximum else {
                    return .failure(SettingsViolation(code: .flowControlError, reason: "SETTINGS_INITIAL_WINDOW_SIZE \(value) above 2^31-1"))
                }
                change.windowDelta += value - initialWindowSize
                initialWindowSize = value
            case .maxFrameSize:
                guard value >= HTTP2Settings.protocolDefaultMaxFrameSize && value <= HTTP2Settings.maxFrameSizeUpperBound else {
                    return .failure(SettingsViolation(code: .protocolError, reason: "SETTINGS_MAX_FRAME_SIZE \(value) out of range"))
                }
                maxFrameSize = value
            case .maxHeaderListSize:
                maxHeaderListSize = value
            case .enablePush, .enableConnectProtocol:
                guard value <= 1 else {
                    return .failure(SettingsViolation(code: .protocolError, reason: "SETTINGS boolean value \(value)"))
                }
            case .maxConcurrentStreams, nil:
                break  // Limits streams the other side opens (neither of ours opens many); unknown: ignored.
            }
        }
        return .success(change)
    }
}

/// A SETTINGS value out of range: the connection error to answer it with.
struct SettingsViolation: Error {
    var code: HTTP2ErrorCode
    var reason: String
}

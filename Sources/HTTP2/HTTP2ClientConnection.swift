import HPACK

/// The client side of one HTTP/2 connection (RFC 9113), without sockets: the caller writes `output` to
/// the server, feeds what the server sends to `receive`, and gets back what happened on its streams.
///
/// What it does for the caller: the connection preface and our SETTINGS (push disabled, a 1 MiB receive
/// window per stream and for the connection); answering SETTINGS and PING; HPACK in both directions
/// (header blocks split into CONTINUATION frames and reassembled); flow control — DATA is queued per
/// stream and sent as the server's windows and MAX_FRAME_SIZE allow, and the windows of the DATA received
/// are given back as it arrives (the caller takes received data at once). A peer's violation is a
/// connection error: a GOAWAY is put in `output` and `receive` throws.
///
/// Memory: a header block being reassembled is bounded by `maxHeaderBlockBytes`; received data is
/// bounded by our windows until the caller takes it; queued outbound data is the caller's own.
public struct HTTP2ClientConnection {
    /// Something the server did on a stream (or to the connection).
    public enum Event: Sendable, Hashable {
        /// A header block: the response headers, or trailers when they end the stream.
        case headers(streamID: UInt32, fields: [HeaderField], endStream: Bool)
        case data(streamID: UInt32, bytes: [UInt8], endStream: Bool)
        case reset(streamID: UInt32, code: HTTP2ErrorCode)
        /// The server will process no stream above `lastStreamID`.
        case goAway(lastStreamID: UInt32, code: HTTP2ErrorCode, debug: String)
    }

    /// A connection error: the server broke the protocol; a GOAWAY saying so is in `output`.
    public struct ProtocolFailure: Error, Sendable, CustomStringConvertible {
        public let code: HTTP2ErrorCode
        public let reason: String
        public var description: String { "http2: \(reason) (\(code))" }
    }

    private struct Stream {
        var sendWindow: FlowControlWindow
        /// DATA waiting for window, in order, from `pendingStart` on; `endStream` goes with its last byte.
        var pending: [UInt8] = []
        var pendingStart = 0
        var pendingEndStream = false
        var pendingCount: Int { pending.count - pendingStart }
        /// Received octets not yet given back with a WINDOW_UPDATE.
        var unacknowledged = 0
    }

    /// Bytes to write to the server, in order.
    public private(set) var output: [UInt8] = []
    public let settings: HTTP2Settings
    public let maxHeaderBlockBytes: Int
    private var peer = PeerSettings()
    private var encoder = HPACKEncoder()
    private var decoder: HPACKDecoder
    private var parser: FrameParser
    private var streams: [UInt32: Stream] = [:]
    private var nextStreamID: UInt32 = 1
    private var connectionSendWindow = FlowControlWindow(HTTP2Settings.protocolDefaultWindowSize)
    private var connectionUnacknowledged = 0
    /// A header block still waiting for its CONTINUATION frames.
    private var assembling: (streamID: UInt32, endStream: Bool, block: [UInt8])?
    private var failed: ProtocolFailure?

    /// Writes the connection preface, our SETTINGS and the connection window's opening into `output`.
    public init(settings: HTTP2Settings = HTTP2Settings(maxConcurrentStreams: 0), maxHeaderBlockBytes: Int = 1 << 20) {
        self.settings = settings
        self.maxHeaderBlockBytes = maxHeaderBlockBytes
        decoder = HPACKDecoder(maxTableSize: settings.headerTableSize, maxHeaderListSize: max(settings.maxHeaderListSize, maxHeaderBlockBytes))
        parser = FrameParser(maxFrameSize: settings.maxFrameSize)
        output.append(contentsOf: Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
        FrameWriter.settings([
            (.headerTableSize, UInt32(settings.headerTableSize)),
            (.enablePush, 0),
            (.initialWindowSize, UInt32(settings.initialWindowSize)),
            (.maxFrameSize, UInt32(settings.maxFrameSize)),
            (.maxHeaderListSize, UInt32(max(settings.maxHeaderListSize, maxHeaderBlockBytes))),
        ], into: &output)
        let opening = settings.initialConnectionWindowSize - HTTP2Settings.protocolDefaultWindowSize
        if opening > 0 { FrameWriter.windowUpdate(streamID: 0, increment: opening, into: &output) }
    }

    /// Hands over the bytes to write and empties `output`.
    public mutating func takeOutput() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &output)
        return taken
    }

    /// Whether `streamID` is open on our side (not reset, not ended by both sides).
    public func isOpen(_ streamID: UInt32) -> Bool { streams[streamID] != nil }

    /// Outbound DATA still waiting for the server's window, over all streams.
    public var pendingDataBytes: Int { streams.values.reduce(0) { $0 + $1.pendingCount } }

    /// Opens a stream with a request's header block; returns its ID.
    public mutating func openStream(headers: [HeaderField], endStream: Bool) -> UInt32 {
        let id = nextStreamID
        nextStreamID += 2
        var block: [UInt8] = []
        encoder.encode(headers, into: &block)
        FrameWriter.headers(streamID: id, block: block, endStream: endStream, maxFrameSize: peer.maxFrameSize, into: &output)
        streams[id] = Stream(sendWindow: FlowControlWindow(peer.initialWindowSize), pendingEndStream: endStream)
        return id
    }

    /// Queues `bytes` on a stream (ending our side of it with the last of them when `endStream`) and
    /// sends what the windows allow now; the rest goes as WINDOW_UPDATEs arrive.
    public mutating func sendData(_ streamID: UInt32, _ bytes: [UInt8], endStream: Bool) {
        guard streams[streamID] != nil, !streams[streamID]!.pendingEndStream else { return }
        streams[streamID]!.pending.append(contentsOf: bytes)
        streams[streamID]!.pendingEndStream = endStream
        if endStream && streams[streamID]!.pendingCount == 0 {
            FrameWriter.data(streamID: streamID, bytes: UnsafeRawBufferPointer(start: nil, count: 0), endStream: true, into: &output)
            return
        }
        flush(streamID)
    }

    /// Cancels a stream (RST_STREAM with `code`); anything still queued on it is dropped.
    public mutating func reset(_ streamID: UInt32, code: HTTP2ErrorCode = .cancel) {
        guard streams.removeValue(forKey: streamID) != nil else { return }
        FrameWriter.rstStream(streamID: streamID, code: code, into: &output)
    }

    /// Forgets a stream the server has ended (after its END_STREAM), keeping nothing for it.
    public mutating func close(_ streamID: UInt32) {
        streams[streamID] = nil
    }

    /// Reads what the server sent. - Throws: `ProtocolFailure` (and writes a GOAWAY) when it broke the protocol.
    public mutating func receive(_ input: UnsafeRawBufferPointer) throws(ProtocolFailure) -> [Event] {
        if let failed { throw failed }
        var events: [Event] = []
        var offset = 0
        while true {
            switch parser.next(input, offset: &offset) {
            case .needMore:
                return events
            case .tooLarge(let header):
                throw fail(.frameSizeError, "\(header.type) frame of \(header.length) octets above our MAX_FRAME_SIZE")
            case .inInput(let header, let payload):
                try frame(header, UnsafeRawBufferPointer(rebasing: input[payload]), &events)
            case .carried(let header):
                let frameBytes = parser.takeCarried()
                let result = frameBytes.withUnsafeBytes { bytes in
                    Result { () throws(ProtocolFailure) in
                        try frame(header, UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size...]), &events)
                    }
                }
                parser.recycle(frameBytes)
                try result.get()
            }
        }
    }

    private mutating func fail(_ code: HTTP2ErrorCode, _ reason: String) -> ProtocolFailure {
        let failure = ProtocolFailure(code: code, reason: reason)
        if failed == nil {
            failed = failure
            FrameWriter.goAway(lastStreamID: 0, code: code, debug: reason, into: &output)
        }
        return failure
    }

    private mutating func frame(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [Event]) throws(ProtocolFailure) {
        if let assembling, header.type != .continuation || header.streamID != assembling.streamID {
            throw fail(.protocolError, "\(header.type) frame inside the header block of stream \(assembling.streamID)")
        }
        switch header.type {
        case .data: try data(header, payload, &events)
        case .headers: try headers(header, payload, &events)
        case .continuation: try continuation(header, payload, &events)
        case .rstStream:
            guard header.streamID != 0 else { throw fail(.protocolError, "RST_STREAM on stream 0") }
            guard payload.count == 4 else { throw fail(.frameSizeError, "RST_STREAM of \(payload.count) octets") }
            if streams.removeValue(forKey: header.streamID) != nil {
                events.append(.reset(streamID: header.streamID, code: HTTP2ErrorCode(wire: FramePayload.uint32(payload, at: 0))))
            }
        case .settings: try settingsFrame(header, payload)
        case .ping:
            guard header.streamID == 0 else { throw fail(.protocolError, "PING on a stream") }
            guard payload.count == 8 else { throw fail(.frameSizeError, "PING of \(payload.count) octets") }
            if !header.flags.contains(.ack) { FrameWriter.pingAck(payload, into: &output) }
        case .goAway:
            guard header.streamID == 0 else { throw fail(.protocolError, "GOAWAY on a stream") }
            guard payload.count >= 8 else { throw fail(.frameSizeError, "GOAWAY of \(payload.count) octets") }
            events.append(.goAway(lastStreamID: FramePayload.uint32(payload, at: 0) & 0x7fff_ffff,
                                  code: HTTP2ErrorCode(wire: FramePayload.uint32(payload, at: 4)),
                                  debug: String(decoding: payload[8...], as: UTF8.self)))
        case .windowUpdate: try windowUpdate(header, payload)
        case .pushPromise:
            throw fail(.protocolError, "PUSH_PROMISE although push is disabled")
        default:
            break  // PRIORITY and unknown types are ignored (§5.5).
        }
    }

    private mutating func data(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [Event]) throws(ProtocolFailure) {
        guard header.streamID != 0 else { throw fail(.protocolError, "DATA on stream 0") }
        guard header.streamID < nextStreamID else { throw fail(.protocolError, "DATA on idle stream \(header.streamID)") }
        // The whole frame, padding included, counts against the windows (§6.9.1).
        guard header.length <= settings.initialConnectionWindowSize - connectionUnacknowledged else {
            throw fail(.flowControlError, "DATA beyond the connection window")
        }
        connectionUnacknowledged += header.length
        if connectionUnacknowledged >= settings.initialConnectionWindowSize / 2 {
            FrameWriter.windowUpdate(streamID: 0, increment: connectionUnacknowledged, into: &output)
            connectionUnacknowledged = 0
        }
        guard let unpadded = FramePayload.unpadded(payload, padded: header.flags.contains(.padded)) else {
            throw fail(.protocolError, "DATA padding as long as its payload")
        }
        // A stream we reset or closed may still have DATA in flight: counted above, otherwise dropped.
        guard streams[header.streamID] != nil else { return }
        guard header.length <= settings.initialWindowSize - streams[header.streamID]!.unacknowledged else {
            throw fail(.flowControlError, "DATA beyond the window of stream \(header.streamID)")
        }
        let endStream = header.flags.contains(.endStream)
        if !endStream {
            streams[header.streamID]!.unacknowledged += header.length
            if streams[header.streamID]!.unacknowledged >= settings.initialWindowSize / 2 {
                FrameWriter.windowUpdate(streamID: header.streamID, increment: streams[header.streamID]!.unacknowledged, into: &output)
                streams[header.streamID]!.unacknowledged = 0
            }
        }
        events.append(.data(streamID: header.streamID, bytes: Array(unpadded), endStream: endStream))
    }

    private mutating func headers(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [Event]) throws(ProtocolFailure) {
        guard header.streamID != 0 else { throw fail(.protocolError, "HEADERS on stream 0") }
        guard header.streamID < nextStreamID, header.streamID % 2 == 1 else {
            throw fail(.protocolError, "HEADERS on stream \(header.streamID), which we did not open")
        }
        guard var fragment = FramePayload.unpadded(payload, padded: header.flags.contains(.padded)) else {
            throw fail(.protocolError, "HEADERS padding as long as its payload")
        }
        if header.flags.contains(.priority) {
            guard fragment.count >= 5 else { throw fail(.frameSizeError, "HEADERS too short for its priority fields") }
            fragment = UnsafeRawBufferPointer(rebasing: fragment[5...])
        }
        assembling = (header.streamID, header.flags.contains(.endStream), Array(fragment))
        if header.flags.contains(.endHeaders) { try finishHeaderBlock(&events) }
    }

    private mutating func continuation(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [Event]) throws(ProtocolFailure) {
        guard assembling != nil else { throw fail(.protocolError, "CONTINUATION without a header block") }
        guard assembling!.block.count + payload.count <= maxHeaderBlockBytes else {
            throw fail(.enhanceYourCalm, "header block above \(maxHeaderBlockBytes) octets")
        }
        assembling!.block.append(contentsOf: payload)
        if header.flags.contains(.endHeaders) { try finishHeaderBlock(&events) }
    }

    private mutating func finishHeaderBlock(_ events: inout [Event]) throws(ProtocolFailure) {
        guard let (streamID, endStream, block) = assembling else { return }
        assembling = nil
        let fields: [HeaderField]
        do {
            // Decoded even for a stream we forgot: the HPACK table must follow every block.
            fields = try decoder.decode(block[...])
        } catch {
            throw fail(.compressionError, "header block: \(error)")
        }
        guard streams[streamID] != nil else { return }
        events.append(.headers(streamID: streamID, fields: fields, endStream: endStream))
    }

    private mutating func settingsFrame(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(ProtocolFailure) {
        guard header.streamID == 0 else { throw fail(.protocolError, "SETTINGS on a stream") }
        if header.flags.contains(.ack) { return }
        guard payload.count % 6 == 0 else { throw fail(.frameSizeError, "SETTINGS length not a multiple of 6") }
        let change: PeerSettings.Change
        switch peer.apply(payload) {
        case .success(let applied): change = applied
        case .failure(let violation): throw fail(violation.code, violation.reason)
        }
        for size in change.headerTableSizes { encoder.setPeerMaxTableSize(size) }
        if change.windowDelta != 0 {
            for id in streams.keys {
                guard streams[id]!.sendWindow.increase(by: change.windowDelta) else {
                    throw fail(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window")
                }
            }
        }
        FrameWriter.settingsAck(into: &output)
        flushAll()
    }

    private mutating func windowUpdate(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer) throws(ProtocolFailure) {
        guard payload.count == 4 else { throw fail(.frameSizeError, "WINDOW_UPDATE of \(payload.count) octets") }
        let increment = Int(FramePayload.uint32(payload, at: 0) & 0x7fff_ffff)
        if header.streamID == 0 {
            guard increment > 0 else { throw fail(.protocolError, "connection WINDOW_UPDATE of 0") }
            guard connectionSendWindow.increase(by: increment) else { throw fail(.flowControlError, "connection window above 2^31-1") }
            flushAll()
        } else if streams[header.streamID] != nil {
            guard increment > 0, streams[header.streamID]!.sendWindow.increase(by: increment) else {
                // A stream error: only that stream is lost.
                streams[header.streamID] = nil
                FrameWriter.rstStream(streamID: header.streamID, code: .flowControlError, into: &output)
                return
            }
            flush(header.streamID)
        }
    }

    private mutating func flushAll() {
        for id in streams.keys.sorted() where streams[id]!.pendingCount > 0 { flush(id) }
    }

    /// Sends as much of a stream's queued DATA as the windows and the peer's frame size allow.
    private mutating func flush(_ streamID: UInt32) {
        while var stream = streams[streamID], stream.pendingCount > 0 {
            let count = min(stream.pendingCount, stream.sendWindow.available, connectionSendWindow.available, peer.maxFrameSize)
            guard count > 0 else { return }
            let last = count == stream.pendingCount
            let start = stream.pendingStart
            stream.pending.withUnsafeBytes { bytes in
                FrameWriter.data(streamID: streamID, bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)]),
                                 endStream: last && stream.pendingEndStream, into: &output)
            }
            stream.pendingStart += count
            if stream.pendingCount == 0 {
                stream.pending.removeAll(keepingCapacity: false)
                stream.pendingStart = 0
            }
            stream.sendWindow.consume(count)
            connectionSendWindow.consume(count)
            streams[streamID] = stream
        }
    }
}

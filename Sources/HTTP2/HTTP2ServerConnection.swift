import HPACK

/// One HTTP/2 connection, server side (RFC 9113), as a state machine without sockets: the event loop
/// feeds it what it reads (`receive`) and writes what it produces (`takeOutput`); the app answers the
/// events with `sendHeaders` / `sendData` / `resetStream` / `consumed`.
///
/// Guarantees:
/// - Output starts with our connection preface (SETTINGS, then a WINDOW_UPDATE opening the connection
///   window); it is available from `init` on.
/// - Frames come out whole and in a valid order; a header block's HEADERS and CONTINUATION frames are
///   contiguous; header blocks are HPACK-encoded in the order they are written.
/// - DATA never exceeds the peer's MAX_FRAME_SIZE, connection window or stream window; what does not fit
///   stays queued on its stream and goes out as WINDOW_UPDATE / SETTINGS open the windows (`drained`).
/// - Every protocol violation ends in RST_STREAM (stream error, §5.4.2) or GOAWAY (connection error,
///   §5.4.1) with the code RFC 9113 asks for; after a connection error nothing more is read or queued.
/// - Memory is bounded as `HTTP2Limits` describes; nothing the peer sends can grow it unboundedly.
///
/// It is a class owned by one event loop (a struct stored in the loop's connection object would be
/// copied, with all its buffers retained, by every non-mutating call). Not `Sendable` on purpose.
///
/// Not provided: SETTINGS_TIMEOUT (it needs a clock; the event loop may close a connection whose
/// SETTINGS are not acknowledged), server push, priority scheduling (PRIORITY is parsed and ignored,
/// as RFC 9113 §5.3.2 allows), and the two-step graceful GOAWAY.
public final class HTTP2ServerConnection {
    // MARK: Configuration

    public let settings: HTTP2Settings
    public let limits: HTTP2Limits
    private(set) var peerSettings = PeerSettings()

    // MARK: Input

    /// Octets of the client preface matched so far (24 when done).
    private var prefaceMatched = 0
    /// The first frame after the preface must be SETTINGS (§3.4).
    private var receivedPeerSettings = false
    private var parser: FrameParser
    /// The header block being assembled from HEADERS + CONTINUATION (padding and priority removed).
    private var headerBlock: [UInt8] = []
    private var pendingBlock: PendingHeaderBlock?
    private var decoder: HPACKDecoder
    /// SETTINGS frames of ours not acknowledged yet.
    private var unacknowledgedSettings = 0

    private struct PendingHeaderBlock {
        var streamID: UInt32
        var endStream: Bool
        /// The HEADERS carried a priority that depends on the stream itself (§5.3.1).
        var selfDependent: Bool
        var continuationFrames = 0
    }

    // MARK: Output

    private var output: [UInt8] = []
    private var encoder = HPACKEncoder()
    /// Reused for encoding header blocks before they are cut into frames.
    private var encodeScratch: [UInt8] = []
    /// Control frames written in answer to the peer since the last `takeOutput`.
    private var pendingControlFrames = 0

    // MARK: Streams

    /// Live streams (open or half-closed), in a slab so their records mutate in place; `slotByID`
    /// finds them (one hash lookup per frame).
    private var slots: [HTTP2Stream?] = []
    private var freeSlots: [Int] = []
    private var slotByID: [UInt32: Int] = [:]
    /// Stream ids whose queues hold output waiting for window, in the order they started waiting.
    private var sendList: [UInt32] = []
    private var recentlyClosed = RecentlyClosedStreams()
    /// The highest stream id the client has used (every lower odd id is closed or open).
    private(set) var highestStreamID: UInt32 = 0

    // MARK: Flow control

    /// The peer's connection window: what we may send.
    private var connectionSendWindow = FlowControlWindow(HTTP2Settings.protocolDefaultWindowSize)
    /// What the peer may send before our next connection WINDOW_UPDATE.
    private var connectionReceiveWindow = HTTP2Settings.protocolDefaultWindowSize
    /// Octets consumed (or discarded) not yet returned in a connection WINDOW_UPDATE.
    private var connectionPendingUpdate = 0

    // MARK: Abuse accounting and shutdown

    private var streamsOpenedInWindow = 0
    private var resetsInWindow = 0
    private var consecutiveEmptyDataFrames = 0
    private var goAwaySent = false
    private var goAwayLastStreamID: UInt32 = 0
    private var goAwayReceived = false
    /// A connection error happened (ours or the app's non-NO_ERROR GOAWAY): nothing more is read.
    private var failed = false

    // MARK: - Public API

    /// Writes our preface (SETTINGS + connection WINDOW_UPDATE) into the output. Traps on settings
    /// RFC 9113 forbids us to advertise (see `HTTP2Settings`).
    public init(settings: HTTP2Settings = .init(), limits: HTTP2Limits = .init()) {
        settings.validate()
        self.settings = settings
        self.limits = limits
        parser = FrameParser(maxFrameSize: settings.maxFrameSize)
        // Until the peer acknowledges our SETTINGS, its encoder may use the default table size.
        decoder = HPACKDecoder(maxTableSize: max(settings.headerTableSize, HTTP2Settings.protocolDefaultHeaderTableSize),
                               maxHeaderListSize: settings.maxHeaderListSize)
        output.reserveCapacity(4096)
        FrameWriter.settings([
            (.headerTableSize, UInt32(settings.headerTableSize)),
            (.maxConcurrentStreams, UInt32(settings.maxConcurrentStreams)),
            (.initialWindowSize, UInt32(settings.initialWindowSize)),
            (.maxFrameSize, UInt32(settings.maxFrameSize)),
            (.maxHeaderListSize, UInt32(settings.maxHeaderListSize)),
        ], into: &output)
        unacknowledgedSettings = 1
        let raise = settings.initialConnectionWindowSize - HTTP2Settings.protocolDefaultWindowSize
        if raise > 0 {
            FrameWriter.windowUpdate(streamID: 0, increment: raise, into: &output)
            connectionReceiveWindow += raise
        }
    }

    /// Feeds bytes read from the socket, starting with the client connection preface (24 octets,
    /// possibly split across calls). Returns the events, in order. Any split of the same bytes across
    /// calls gives the same events. After a connection error, returns nothing.
    public func receive(_ bytes: UnsafeRawBufferPointer) -> [HTTP2Event] {
        var events: [HTTP2Event] = []
        receive(bytes, into: &events)
        return events
    }

    /// `receive(_:)` appending to the caller's (reusable) event array.
    public func receive(_ bytes: UnsafeRawBufferPointer, into events: inout [HTTP2Event]) {
        guard !failed, bytes.count > 0 else { return }
        var offset = 0
        if prefaceMatched < HTTP2.clientPreface.count {
            while prefaceMatched < HTTP2.clientPreface.count && offset < bytes.count {
                guard bytes[offset] == HTTP2.clientPreface[prefaceMatched] else {
                    fail(.protocolError, "invalid connection preface", &events)
                    return
                }
                prefaceMatched += 1
                offset += 1
            }
            if prefaceMatched < HTTP2.clientPreface.count { return }
        }
        while !failed {
            switch parser.next(bytes, offset: &offset) {
            case .needMore:
                return
            case .tooLarge(let header):
                fail(.frameSizeError, "\(header.type) frame of \(header.length) octets exceeds SETTINGS_MAX_FRAME_SIZE", &events)
                return
            case .inInput(let header, let payload):
                process(header, UnsafeRawBufferPointer(rebasing: bytes[payload]), &events)
            case .carried(let header):
                let frame = parser.takeCarried()
                frame.withUnsafeBytes { raw in
                    process(header, UnsafeRawBufferPointer(rebasing: raw[FrameHeader.size...]), &events)
                }
                parser.recycle(frame)
            }
        }
    }

    /// Queues response headers or trailers (`endStream: true` for trailers or a headers-only response),
    /// BEHIND the stream's pending data. Ignored for a stream that is not open for sending (unknown,
    /// reset, or END_STREAM already queued) — the app may race a reset it has not seen yet.
    public func sendHeaders(streamID: UInt32, headers: [HeaderField], endStream: Bool) {
        guard let slot = sendableSlot(streamID) else { return }
        if endStream { slots[slot]!.endStreamQueued = true }
        if slots[slot]!.queue.isEmpty {
            writeHeaders(slot: slot, headers, endStream: endStream)
        } else {
            slots[slot]!.queue.append(.headers(headers, endStream: endStream))
        }
    }

    /// `sendHeaders(streamID:headers:endStream:)` for a list encoded beforehand (constant response
    /// headers and trailers: no encoding per response).
    public func sendHeaders(streamID: UInt32, block: HPACKEncodedBlock, endStream: Bool) {
        guard let slot = sendableSlot(streamID) else { return }
        if endStream { slots[slot]!.endStreamQueued = true }
        if slots[slot]!.queue.isEmpty {
            writeHeaders(slot: slot, block, endStream: endStream)
        } else {
            slots[slot]!.queue.append(.encodedHeaders(block, endStream: endStream))
        }
    }

    /// Queues data for a stream; always accepted (while the stream is open for sending, else ignored
    /// like `sendHeaders`). Framed at once as far as the peer's connection and stream windows and
    /// MAX_FRAME_SIZE allow; the rest waits (see `queuedBytes`, `HTTP2Event.drained`).
    public func sendData(streamID: UInt32, bytes: some Collection<UInt8>, endStream: Bool) {
        guard let slot = sendableSlot(streamID), !bytes.isEmpty || endStream else { return }
        if endStream { slots[slot]!.endStreamQueued = true }
        guard slots[slot]!.queue.isEmpty else {
            slots[slot]!.queue.append(.data(Array(bytes), endStream: endStream))
            return
        }
        var rest: [UInt8]
        if let sent = bytes.withContiguousStorageIfAvailable({ writeDataDirectly(slot: slot, UnsafeRawBufferPointer($0), endStream: endStream) }) {
            guard sent < bytes.count else { return }
            rest = Array(bytes.dropFirst(sent))
        } else {
            rest = Array(bytes)
            let sent = rest.withUnsafeBytes { writeDataDirectly(slot: slot, $0, endStream: endStream) }
            guard sent < rest.count else { return }
            rest.removeFirst(sent)
        }
        // Flow control stopped it: the rest waits for window.
        slots[slot]!.queue.append(.data(rest, endStream: endStream))
        slots[slot]!.waitedForWindow = true
        addToSendList(slot)
    }

    /// DATA octets queued on a stream and not yet framed (0 for unknown streams). The app's
    /// backpressure: produce more of a large reply only when this is small. A peer that never opens
    /// its window leaves this where it is — the app bounds what it queues.
    public func queuedBytes(streamID: UInt32) -> Int {
        guard let slot = slotByID[streamID] else { return 0 }
        return slots[slot]!.queue.dataBytes
    }

    /// The app consumed `count` octets of DATA of a stream: the windows open again. WINDOW_UPDATEs are
    /// batched — one when half of a window has been consumed — never one per small read. Counts above
    /// what was delivered are clamped; unknown (closed) streams are ignored, since their unconsumed
    /// data was returned to the connection window when they closed.
    public func consumed(streamID: UInt32, count: Int) {
        guard !failed, count > 0, let slot = slotByID[streamID] else { return }
        let taken = min(count, slots[slot]!.unconsumed)
        guard taken > 0 else { return }
        slots[slot]!.unconsumed -= taken
        creditStream(slot: slot, taken)
        creditConnection(taken)
    }

    /// Resets a stream (RST_STREAM with `code`) and forgets it and its queued output. No event follows
    /// (the app knows). Ignored for unknown streams.
    public func resetStream(streamID: UInt32, code: HTTP2ErrorCode) {
        guard !failed, let slot = slotByID[streamID] else { return }
        FrameWriter.rstStream(streamID: streamID, code: code, into: &output)
        removeStream(slot: slot, resetByUs: true)
    }

    /// Sends GOAWAY with the highest stream id we have processed. With `.noError` it is the graceful
    /// shutdown: open streams finish, new ones are ignored, and `isClosed` turns true once none is
    /// left. With any other code it is a connection error: streams are dropped and nothing more is read.
    public func goAway(code: HTTP2ErrorCode, debug: String) {
        guard !failed else { return }
        goAwaySent = true
        goAwayLastStreamID = highestStreamID
        FrameWriter.goAway(lastStreamID: highestStreamID, code: code, debug: debug, into: &output)
        if code != .noError { shutDown() }
    }

    /// Hands over the bytes to write to the socket (empty if none) and starts a new output buffer.
    public func takeOutput() -> [UInt8] {
        pendingControlFrames = 0
        var taken: [UInt8] = []
        swap(&taken, &output)
        return taken
    }

    /// Appends the bytes to write to `buffer`; when `buffer` is empty the storage is swapped instead
    /// of copied (and the caller's capacity is reused for our next output).
    public func takeOutput(appendingTo buffer: inout [UInt8]) {
        pendingControlFrames = 0
        if buffer.isEmpty {
            swap(&buffer, &output)
            output.removeAll(keepingCapacity: true)
        } else {
            buffer.append(contentsOf: output)
            output.removeAll(keepingCapacity: true)
        }
    }

    public var hasOutput: Bool { !output.isEmpty }

    /// True after a connection error (then write out the output and close), or once GOAWAY was sent or
    /// received and no stream is left.
    public var isClosed: Bool {
        failed || ((goAwaySent || goAwayReceived) && slotByID.isEmpty && pendingBlock == nil)
    }

    /// The state of a stream as the connection sees it (for tests and diagnostics).
    public func streamState(_ streamID: UInt32) -> StreamState {
        if let slot = slotByID[streamID] { return slots[slot]!.state }
        return streamID > highestStreamID ? .idle : .closed
    }

    /// Streams open or half-closed.
    public var activeStreams: Int { slotByID.count }

    /// Octets of a partial frame buffered between reads (at most 9 + our MAX_FRAME_SIZE).
    var bufferedInputBytes: Int { parser.bufferedBytes }
    /// The dynamic table size the peer's encoder may use now (ours once our SETTINGS are acknowledged).
    var decoderTableLimit: Int { decoder.maxTableSize }
    /// Our connection receive window and its not-yet-returned credit (for tests).
    var connectionReceiveState: (window: Int, pending: Int) { (connectionReceiveWindow, connectionPendingUpdate) }
    /// The peer's connection window (what we may send).
    var connectionSendWindowValue: Int { connectionSendWindow.value }
    /// A stream's send window (the peer's), or nil for unknown streams.
    func sendWindow(_ streamID: UInt32) -> Int? { slotByID[streamID].map { slots[$0]!.sendWindow.value } }

    // MARK: - Frames

    private func process(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        if let pending = pendingBlock {
            guard header.type == .continuation, header.streamID == pending.streamID else {
                fail(.protocolError, "\(header.type) frame inside a header block (CONTINUATION expected)", &events)
                return
            }
            continuation(header, payload, &events)
            return
        }
        if !receivedPeerSettings {
            guard header.type == .settings, !header.flags.contains(.ack) else {
                fail(.protocolError, "the first frame after the preface must be SETTINGS", &events)
                return
            }
            receivedPeerSettings = true
        }
        switch header.type {
        case .data: data(header, payload, &events)
        case .headers: headers(header, payload, &events)
        case .priority: priority(header, payload, &events)
        case .rstStream: rstStream(header, payload, &events)
        case .settings: settingsFrame(header, payload, &events)
        case .pushPromise: fail(.protocolError, "PUSH_PROMISE from a client", &events)
        case .ping: ping(header, payload, &events)
        case .goAway: goAwayFrame(header, payload, &events)
        case .windowUpdate: windowUpdate(header, payload, &events)
        case .continuation: fail(.protocolError, "CONTINUATION without HEADERS", &events)
        default: break  // Unknown frame types are ignored (§4.1, §5.5).
        }
    }

    /// Where a frame's stream id stands, for frames that do not open streams.
    private enum StreamLookup {
        case live(Int)
        /// Above the highest id used, or even (we never open streams): frames other than HEADERS and
        /// PRIORITY are a PROTOCOL_ERROR (§5.1 idle).
        case idle
        /// After our GOAWAY, on a stream above its last stream id: ignored.
        case ignored
        case closed(RecentlyClosedStreams.Lookup)
    }

    private func lookup(_ id: UInt32) -> StreamLookup {
        if let slot = slotByID[id] { return .live(slot) }
        if goAwaySent && id > goAwayLastStreamID && id & 1 == 1 { return .ignored }
        if id > highestStreamID || id & 1 == 0 { return .idle }
        return .closed(recentlyClosed.lookup(id))
    }

    private func data(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        let id = header.streamID
        guard id != 0 else { return fail(.protocolError, "DATA on stream 0", &events) }
        guard let bytes = FramePayload.unpadded(payload, padded: header.flags.contains(.padded)) else {
            return fail(.protocolError, "DATA padding exceeds the payload", &events)
        }
        let flowLength = payload.count
        let endStream = header.flags.contains(.endStream)
        let slot: Int
        switch lookup(id) {
        case .idle:
            return fail(.protocolError, "DATA on idle stream \(id)", &events)
        case .ignored, .closed(.resetByUs):
            guard takeConnectionWindow(flowLength, &events) else { return }
            creditConnection(flowLength)
            return
        case .closed:
            guard takeConnectionWindow(flowLength, &events) else { return }
            creditConnection(flowLength)
            return streamError(id, .streamClosed, &events)
        case .live(let live):
            slot = live
        }
        guard takeConnectionWindow(flowLength, &events) else { return }
        guard slots[slot]!.state.remoteOpen else {
            creditConnection(flowLength)
            return streamError(id, .streamClosed, &events)
        }
        guard flowLength <= slots[slot]!.receiveWindow else {
            creditConnection(flowLength)
            return streamError(id, .flowControlError, &events)
        }
        slots[slot]!.receiveWindow -= flowLength
        // Padding is never handed to the app: return it to the peer as if consumed at once.
        let padding = flowLength - bytes.count
        if padding > 0 {
            creditStream(slot: slot, padding)
            creditConnection(padding)
        }
        if flowLength == 0 && !endStream {
            consecutiveEmptyDataFrames += 1
            if consecutiveEmptyDataFrames > limits.maxConsecutiveEmptyDataFrames {
                return fail(.enhanceYourCalm, "too many empty DATA frames", &events)
            }
            return
        }
        if bytes.count > 0 { consecutiveEmptyDataFrames = 0 }
        slots[slot]!.receivedDataBytes += bytes.count
        if let expected = slots[slot]!.expectedContentLength {
            let received = slots[slot]!.receivedDataBytes
            if received > expected || (endStream && received != expected) {
                creditConnection(bytes.count)
                return streamError(id, .protocolError, &events)
            }
        }
        slots[slot]!.unconsumed += bytes.count
        if bytes.count > 0 || endStream {
            events.append(.data(streamID: id, bytes: Array(bytes), endStream: endStream))
        }
        if endStream { closeRemote(slot: slot) }
    }

    /// Takes a DATA frame's octets from the connection receive window; false (after failing the
    /// connection with FLOW_CONTROL_ERROR) when the peer overran it (§6.9.1).
    private func takeConnectionWindow(_ count: Int, _ events: inout [HTTP2Event]) -> Bool {
        guard count <= connectionReceiveWindow else {
            fail(.flowControlError, "DATA exceeds the connection window", &events)
            return false
        }
        connectionReceiveWindow -= count
        return true
    }

    private func headers(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        let id = header.streamID
        guard id != 0 else { return fail(.protocolError, "HEADERS on stream 0", &events) }
        guard id & 1 == 1 else { return fail(.protocolError, "HEADERS on even stream \(id)", &events) }
        guard var fragment = FramePayload.unpadded(payload, padded: header.flags.contains(.padded)) else {
            return fail(.protocolError, "HEADERS padding exceeds the payload", &events)
        }
        var selfDependent = false
        if header.flags.contains(.priority) {
            guard fragment.count >= 5 else {
                return fail(header.flags.contains(.padded) ? .protocolError : .frameSizeError,
                            "HEADERS too short for its priority fields", &events)
            }
            selfDependent = FramePayload.uint32(fragment, at: 0) & 0x7fff_ffff == id
            fragment = UnsafeRawBufferPointer(rebasing: fragment[5...])
        }
        guard fragment.count <= limits.maxHeaderBlockBytes else {
            return fail(.enhanceYourCalm, "header block larger than \(limits.maxHeaderBlockBytes) octets", &events)
        }
        headerBlock.removeAll(keepingCapacity: true)
        headerBlock.append(contentsOf: fragment)
        let pending = PendingHeaderBlock(streamID: id, endStream: header.flags.contains(.endStream), selfDependent: selfDependent)
        if header.flags.contains(.endHeaders) {
            headerBlockComplete(pending, &events)
        } else {
            pendingBlock = pending
        }
    }

    private func continuation(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        pendingBlock!.continuationFrames += 1
        guard pendingBlock!.continuationFrames <= limits.maxContinuationFrames else {
            return fail(.enhanceYourCalm, "more than \(limits.maxContinuationFrames) CONTINUATION frames", &events)
        }
        guard headerBlock.count + payload.count <= limits.maxHeaderBlockBytes else {
            return fail(.enhanceYourCalm, "header block larger than \(limits.maxHeaderBlockBytes) octets", &events)
        }
        headerBlock.append(contentsOf: payload)
        if header.flags.contains(.endHeaders) {
            let pending = pendingBlock!
            pendingBlock = nil
            headerBlockComplete(pending, &events)
        }
    }

    /// A whole header block arrived: decode it (always — HPACK state must stay in step, §4.3), then
    /// open a stream, deliver trailers, or refuse.
    private func headerBlockComplete(_ block: PendingHeaderBlock, _ events: inout [HTTP2Event]) {
        let id = block.streamID
        var fields: [HeaderField] = []
        var tooLarge = false
        do {
            fields = try decoder.decode(headerBlock[...])
        } catch {
            guard !error.isConnectionError else { return fail(.compressionError, "\(error)", &events) }
            tooLarge = true
        }
        switch lookup(id) {
        case .live(let slot):
            guard slots[slot]!.state.remoteOpen else { return streamError(id, .streamClosed, &events) }
            guard !block.selfDependent else { return streamError(id, .protocolError, &events) }
            guard !tooLarge else { return streamError(id, .enhanceYourCalm, &events) }
            // Trailers: must end the stream (§8.1) and carry no pseudo-headers.
            guard block.endStream, HeaderValidation.trailers(fields) else { return streamError(id, .protocolError, &events) }
            if let expected = slots[slot]!.expectedContentLength, expected != slots[slot]!.receivedDataBytes {
                return streamError(id, .protocolError, &events)
            }
            events.append(.headers(streamID: id, headers: fields, endStream: true))
            closeRemote(slot: slot)
        case .ignored, .closed(.resetByUs):
            return
        case .closed(.closed):
            return fail(.streamClosed, "HEADERS on closed stream \(id)", &events)
        case .closed(.unknown):
            return fail(.protocolError, "stream id \(id) is not above \(highestStreamID)", &events)
        case .idle:
            openStream(block, fields, tooLarge: tooLarge, &events)
        }
    }

    private func openStream(_ block: PendingHeaderBlock, _ fields: [HeaderField], tooLarge: Bool,
                                     _ events: inout [HTTP2Event]) {
        let id = block.streamID
        highestStreamID = id
        streamsOpenedInWindow += 1
        if streamsOpenedInWindow > limits.rapidResetWindow {
            streamsOpenedInWindow = 1
            resetsInWindow = 0
        }
        if block.selfDependent {
            return refuse(id, .protocolError, &events)
        }
        if tooLarge {
            // RFC 9113 §10.5.1: answer 431; if the request goes on, ask the client to stop (§8.1).
            encodeScratch.removeAll(keepingCapacity: true)
            encoder.encode([HeaderField(":status", "431")], into: &encodeScratch)
            FrameWriter.headers(streamID: id, block: encodeScratch, endStream: true, maxFrameSize: peerSettings.maxFrameSize,
                                into: &output)
            if !block.endStream {
                FrameWriter.rstStream(streamID: id, code: .noError, into: &output)
            }
            recentlyClosed.insert(id, resetByUs: true)
            countControlFrame(&events)
            return
        }
        guard slotByID.count < settings.maxConcurrentStreams else {
            refuse(id, .refusedStream, &events)
            countReset(&events)
            return
        }
        guard let request = HeaderValidation.request(fields) else {
            return refuse(id, .protocolError, &events)
        }
        var stream = HTTP2Stream(id: id, state: block.endStream ? .halfClosedRemote : .open,
                                 sendWindow: peerSettings.initialWindowSize, receiveWindow: settings.initialWindowSize)
        stream.expectedContentLength = request.contentLength
        if block.endStream, let expected = request.contentLength, expected != 0 {
            return refuse(id, .protocolError, &events)
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = stream
        } else {
            slot = slots.count
            slots.append(stream)
        }
        slotByID[id] = slot
        events.append(.headers(streamID: id, headers: fields, endStream: block.endStream))
    }

    /// Resets a stream the app never heard of (no event).
    private func refuse(_ id: UInt32, _ code: HTTP2ErrorCode, _ events: inout [HTTP2Event]) {
        FrameWriter.rstStream(streamID: id, code: code, into: &output)
        recentlyClosed.insert(id, resetByUs: true)
        countControlFrame(&events)
    }

    private func priority(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        let id = header.streamID
        guard id != 0 else { return fail(.protocolError, "PRIORITY on stream 0", &events) }
        guard payload.count == 5 else { return streamError(id, .frameSizeError, &events) }
        if FramePayload.uint32(payload, at: 0) & 0x7fff_ffff == id {
            return streamError(id, .protocolError, &events)
        }
        // Accepted and ignored (§5.3.2).
    }

    private func rstStream(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        let id = header.streamID
        guard id != 0 else { return fail(.protocolError, "RST_STREAM on stream 0", &events) }
        guard payload.count == 4 else { return fail(.frameSizeError, "RST_STREAM of \(payload.count) octets", &events) }
        let code = HTTP2ErrorCode(wire: FramePayload.uint32(payload, at: 0))
        switch lookup(id) {
        case .idle:
            return fail(.protocolError, "RST_STREAM on idle stream \(id)", &events)
        case .live(let slot):
            removeStream(slot: slot, resetByUs: false)
            events.append(.streamReset(streamID: id, code: code))
        case .closed, .ignored:
            break
        }
        countReset(&events)
    }

    private func settingsFrame(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        guard header.streamID == 0 else { return fail(.protocolError, "SETTINGS on a stream", &events) }
        if header.flags.contains(.ack) {
            guard payload.isEmpty else { return fail(.frameSizeError, "SETTINGS ACK with a payload", &events) }
            if unacknowledgedSettings > 0 {
                unacknowledgedSettings -= 1
                if unacknowledgedSettings == 0 { decoder.maxTableSize = settings.headerTableSize }
            }
            return
        }
        guard payload.count % 6 == 0 else { return fail(.frameSizeError, "SETTINGS length not a multiple of 6", &events) }
        let change: PeerSettings.Change
        switch peerSettings.apply(payload) {
        case .success(let applied): change = applied
        case .failure(let violation): return fail(violation.code, violation.reason, &events)
        }
        for size in change.headerTableSizes { encoder.setPeerMaxTableSize(size) }
        FrameWriter.settingsAck(into: &output)
        countControlFrame(&events)
        if change.windowDelta != 0 {
            // §6.9.2: the difference applies to every stream's send window; they may go negative.
            for slot in slots.indices where slots[slot] != nil {
                guard slots[slot]!.sendWindow.increase(by: change.windowDelta) else {
                    return fail(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window", &events)
                }
            }
            if change.windowDelta > 0 { writePending(&events) }
        }
    }

    private func ping(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        guard header.streamID == 0 else { return fail(.protocolError, "PING on a stream", &events) }
        guard payload.count == 8 else { return fail(.frameSizeError, "PING of \(payload.count) octets", &events) }
        guard !header.flags.contains(.ack) else { return }
        FrameWriter.pingAck(payload, into: &output)
        countControlFrame(&events)
    }

    private func goAwayFrame(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        guard header.streamID == 0 else { return fail(.protocolError, "GOAWAY on a stream", &events) }
        guard payload.count >= 8 else { return fail(.frameSizeError, "GOAWAY of \(payload.count) octets", &events) }
        goAwayReceived = true
        events.append(.goAway(lastStreamID: FramePayload.uint32(payload, at: 0) & 0x7fff_ffff,
                              code: HTTP2ErrorCode(wire: FramePayload.uint32(payload, at: 4))))
    }

    private func windowUpdate(_ header: FrameHeader, _ payload: UnsafeRawBufferPointer, _ events: inout [HTTP2Event]) {
        guard payload.count == 4 else { return fail(.frameSizeError, "WINDOW_UPDATE of \(payload.count) octets", &events) }
        let increment = Int(FramePayload.uint32(payload, at: 0) & 0x7fff_ffff)
        let id = header.streamID
        if id == 0 {
            guard increment > 0 else { return fail(.protocolError, "connection WINDOW_UPDATE of 0", &events) }
            // If the window was open already, every waiting stream waits for its own window (writePending
            // leaves either no connection window or only such streams): nothing to do, and a flood of
            // tiny updates costs O(1) each.
            let wasBlocked = connectionSendWindow.available == 0
            guard connectionSendWindow.increase(by: increment) else {
                return fail(.flowControlError, "connection window above 2^31-1", &events)
            }
            if wasBlocked { writePending(&events) }
            return
        }
        switch lookup(id) {
        case .idle:
            fail(.protocolError, "WINDOW_UPDATE on idle stream \(id)", &events)
        case .closed, .ignored:
            break
        case .live(let slot):
            guard increment > 0 else { return streamError(id, .protocolError, &events) }
            guard slots[slot]!.sendWindow.increase(by: increment) else { return streamError(id, .flowControlError, &events) }
            if !slots[slot]!.queue.isEmpty { writeStream(slot: slot, &events) }
        }
    }

    // MARK: - Sending

    /// The slot of a stream the app may still send on.
    private func sendableSlot(_ id: UInt32) -> Int? {
        guard !failed, let slot = slotByID[id], slots[slot]!.state.localOpen, !slots[slot]!.endStreamQueued else { return nil }
        return slot
    }

    private func writeHeaders(slot: Int, _ headers: [HeaderField], endStream: Bool) {
        encodeScratch.removeAll(keepingCapacity: true)
        encoder.encode(headers, into: &encodeScratch)
        FrameWriter.headers(streamID: slots[slot]!.id, block: encodeScratch, endStream: endStream,
                            maxFrameSize: peerSettings.maxFrameSize, into: &output)
        if endStream { closeLocal(slot: slot) }
    }

    private func writeHeaders(slot: Int, _ block: HPACKEncodedBlock, endStream: Bool) {
        encodeScratch.removeAll(keepingCapacity: true)
        encoder.append(block, into: &encodeScratch)
        FrameWriter.headers(streamID: slots[slot]!.id, block: encodeScratch, endStream: endStream,
                            maxFrameSize: peerSettings.maxFrameSize, into: &output)
        if endStream { closeLocal(slot: slot) }
    }

    /// Frames as much of `bytes` as the windows allow, for a stream whose queue is empty. Returns the
    /// octets framed (an empty END_STREAM always goes: it needs no window).
    private func writeDataDirectly(slot: Int, _ bytes: UnsafeRawBufferPointer, endStream: Bool) -> Int {
        let id = slots[slot]!.id
        var offset = 0
        repeat {
            let chunk = min(bytes.count - offset, connectionSendWindow.available, slots[slot]!.sendWindow.available,
                            peerSettings.maxFrameSize)
            if chunk == 0 && offset < bytes.count { break }
            let last = offset + chunk == bytes.count
            FrameWriter.data(streamID: id, bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + chunk)]),
                             endStream: endStream && last, into: &output)
            connectionSendWindow.consume(chunk)
            slots[slot]!.sendWindow.consume(chunk)
            offset += chunk
        } while offset < bytes.count
        if offset == bytes.count && endStream { closeLocal(slot: slot) }
        return offset
    }

    private func addToSendList(_ slot: Int) {
        guard !slots[slot]!.inSendList else { return }
        slots[slot]!.inSendList = true
        sendList.append(slots[slot]!.id)
    }

    /// Frames what the windows now let out, round-robin one frame per stream per pass so that one
    /// large reply does not starve the others; emits `drained` for streams whose waiting data all went.
    private func writePending(_ events: inout [HTTP2Event]) {
        var progress = true
        while progress && !sendList.isEmpty && !failed {
            progress = false
            // One pass; streams that are done are compacted out in place (O(n) per pass).
            var kept = 0
            for index in sendList.indices {
                let id = sendList[index]
                guard let slot = slotByID[id] else { continue }
                if writeQueued(slot: slot, maxFrames: 1) { progress = true }
                guard slots[slot] != nil else { continue }  // END_STREAM went out and closed it.
                noteDrained(slot: slot, &events)
                if slots[slot]!.queue.isEmpty {
                    slots[slot]!.inSendList = false
                    continue
                }
                sendList[kept] = id
                kept += 1
            }
            sendList.removeLast(sendList.count - kept)
            if connectionSendWindow.available == 0 { break }
        }
    }

    /// After a stream's own WINDOW_UPDATE: only that stream can make progress, so only it is written
    /// (a flood of stream WINDOW_UPDATEs never walks the whole send list). It stays in the send list
    /// until the next `writePending` pass compacts it out.
    private func writeStream(slot: Int, _ events: inout [HTTP2Event]) {
        _ = writeQueued(slot: slot, maxFrames: Int.max)
        if slots[slot] != nil { noteDrained(slot: slot, &events) }
    }

    /// Emits `drained` once a queue that had to wait for window is empty (and the stream may still send).
    private func noteDrained(slot: Int, _ events: inout [HTTP2Event]) {
        let stream = slots[slot]!
        guard stream.queue.isEmpty, stream.waitedForWindow else { return }
        slots[slot]!.waitedForWindow = false
        if stream.state.localOpen && !stream.endStreamQueued { events.append(.drained(streamID: stream.id)) }
    }

    /// Frames queued items of one stream, at most `maxFrames` DATA frames. Returns whether anything was
    /// written. The stream may be gone afterwards (its END_STREAM closed it).
    private func writeQueued(slot: Int, maxFrames: Int) -> Bool {
        var wrote = false
        var frames = 0
        while let item = slots[slot]?.queue.first {
            switch item {
            case .headers(let headers, let endStream):
                slots[slot]!.queue.removeFirst()
                writeHeaders(slot: slot, headers, endStream: endStream)
                wrote = true
            case .encodedHeaders(let block, let endStream):
                slots[slot]!.queue.removeFirst()
                writeHeaders(slot: slot, block, endStream: endStream)
                wrote = true
            case .data(let bytes, let endStream):
                guard frames < maxFrames else { return wrote }
                let offset = slots[slot]!.queue.headOffset
                let remaining = bytes.count - offset
                let chunk = min(remaining, connectionSendWindow.available, slots[slot]!.sendWindow.available,
                                peerSettings.maxFrameSize)
                if chunk == 0 && remaining > 0 { return wrote }
                let last = chunk == remaining
                if remaining == 0 && !endStream {
                    slots[slot]!.queue.removeFirst()
                    continue
                }
                bytes.withUnsafeBytes { raw in
                    FrameWriter.data(streamID: slots[slot]!.id, bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + chunk)]),
                                     endStream: endStream && last, into: &output)
                }
                connectionSendWindow.consume(chunk)
                slots[slot]!.sendWindow.consume(chunk)
                frames += 1
                wrote = true
                if last {
                    slots[slot]!.queue.removeFirst()
                    if endStream { closeLocal(slot: slot) }
                } else {
                    slots[slot]!.queue.advanceData(by: chunk)
                }
            }
        }
        return wrote
    }

    // MARK: - Windows we grant

    /// Returns `count` octets to a stream's receive window, with a WINDOW_UPDATE once half the window's
    /// worth is owed (and only while the peer may still send on it).
    private func creditStream(slot: Int, _ count: Int) {
        slots[slot]!.pendingWindowUpdate += count
        let owed = slots[slot]!.pendingWindowUpdate
        guard slots[slot]!.state.remoteOpen, owed >= max(1, settings.initialWindowSize / 2) else { return }
        FrameWriter.windowUpdate(streamID: slots[slot]!.id, increment: owed, into: &output)
        slots[slot]!.receiveWindow += owed
        slots[slot]!.pendingWindowUpdate = 0
    }

    /// Returns `count` octets to the connection receive window, batched like `creditStream`.
    private func creditConnection(_ count: Int) {
        connectionPendingUpdate += count
        guard !failed, connectionPendingUpdate >= max(1, settings.initialConnectionWindowSize / 2) else { return }
        FrameWriter.windowUpdate(streamID: 0, increment: connectionPendingUpdate, into: &output)
        connectionReceiveWindow += connectionPendingUpdate
        connectionPendingUpdate = 0
    }

    // MARK: - Stream lifecycle

    private func closeRemote(slot: Int) {
        slots[slot]!.state = slots[slot]!.state.closingRemote
        if slots[slot]!.state == .closed { removeStream(slot: slot, resetByUs: false) }
    }

    private func closeLocal(slot: Int) {
        slots[slot]!.state = slots[slot]!.state.closingLocal
        if slots[slot]!.state == .closed { removeStream(slot: slot, resetByUs: false) }
    }

    /// Forgets a stream: its queue is dropped and the DATA the app was given but never consumed is
    /// returned to the connection window (the app forgets the stream too).
    private func removeStream(slot: Int, resetByUs: Bool) {
        let stream = slots[slot]!
        slots[slot] = nil
        freeSlots.append(slot)
        slotByID[stream.id] = nil
        recentlyClosed.insert(stream.id, resetByUs: resetByUs)
        if stream.unconsumed > 0 { creditConnection(stream.unconsumed) }
    }

    /// A stream error (§5.4.2): RST_STREAM, the stream forgotten, and `streamReset` if the app knew it.
    private func streamError(_ id: UInt32, _ code: HTTP2ErrorCode, _ events: inout [HTTP2Event]) {
        FrameWriter.rstStream(streamID: id, code: code, into: &output)
        if let slot = slotByID[id] {
            removeStream(slot: slot, resetByUs: true)
            events.append(.streamReset(streamID: id, code: code))
        }
        countControlFrame(&events)
    }

    // MARK: - Abuse accounting

    private func countControlFrame(_ events: inout [HTTP2Event]) {
        pendingControlFrames += 1
        if pendingControlFrames > limits.maxPendingControlFrames {
            fail(.enhanceYourCalm, "more than \(limits.maxPendingControlFrames) control frames not taken", &events)
        }
    }

    private func countReset(_ events: inout [HTTP2Event]) {
        resetsInWindow += 1
        if resetsInWindow > limits.maxResetsPerWindow {
            fail(.enhanceYourCalm, "more than \(limits.maxResetsPerWindow) stream resets in \(limits.rapidResetWindow) streams",
                 &events)
        }
    }

    // MARK: - Connection errors

    /// A connection error (§5.4.1): GOAWAY(code) with the last stream we processed, then nothing more.
    private func fail(_ code: HTTP2ErrorCode, _ reason: String, _ events: inout [HTTP2Event]) {
        guard !failed else { return }
        goAwaySent = true
        goAwayLastStreamID = highestStreamID
        FrameWriter.goAway(lastStreamID: highestStreamID, code: code, debug: reason, into: &output)
        shutDown()
        events.append(.connectionError(code: code, reason: reason))
    }

    private func shutDown() {
        failed = true
        slots.removeAll()
        freeSlots.removeAll()
        slotByID.removeAll()
        sendList.removeAll()
        pendingBlock = nil
        headerBlock = []
    }
}

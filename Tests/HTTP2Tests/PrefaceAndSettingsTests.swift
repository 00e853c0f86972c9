import HPACK
import Testing
@testable import HTTP2

@Suite struct PrefaceAndSettingsTests {
    @Test func serverPrefaceIsOurSettingsThenConnectionWindow() throws {
        var client = TestClient()
        #expect(client.connection.hasOutput)
        let frames = try client.frames()
        try #require(frames.count == 2)
        #expect(frames[0].type == 0x4 && frames[0].stream == 0 && !frames[0].isAck)
        let advertised = frames[0].settings
        #expect(advertised[0x1] == 4096)
        #expect(advertised[0x2] == nil, "a server does not advertise ENABLE_PUSH")
        #expect(advertised[0x3] == 100)
        #expect(advertised[0x4] == 1 << 20)
        #expect(advertised[0x5] == 16_384)
        #expect(advertised[0x6] == 16_384)
        #expect(frames[1].type == 0x8 && frames[1].stream == 0 && frames[1].firstWord == UInt32((1 << 20) - 65_535))
        #expect(!client.connection.hasOutput)
    }

    @Test func prefaceSplitAcrossReads() throws {
        var client = TestClient()
        _ = try client.frames()
        for byte in HTTP2.clientPreface { #expect(client.send([byte]).isEmpty) }
        #expect(client.send(FrameBuilder.settings()).isEmpty)
        let frames = try client.frames()
        #expect(frames.map(\.type) == [0x4] && frames[0].isAck)
    }

    @Test func invalidPrefaceIsAProtocolError() throws {
        var client = TestClient()
        _ = try client.frames()
        let events = client.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(events.first?.connectionErrorCode == .protocolError)
        #expect(TestClient.goAwayCode(try client.frames()) == .protocolError)
        #expect(client.connection.isClosed)
        #expect(client.send(HTTP2.clientPreface).isEmpty, "nothing is read after a connection error")
    }

    @Test func firstFrameMustBeSettings() throws {
        var client = TestClient()
        let events = client.send(HTTP2.clientPreface + FrameBuilder.ping())
        #expect(events.first?.connectionErrorCode == .protocolError)
    }

    @Test func settingsAreAcknowledgedAndUnknownOnesIgnored() throws {
        var client = try TestClient.started()
        #expect(client.send(FrameBuilder.settings([(0x99, 7), (0x1, 0), (0x6, 100), (0x8, 1)])).isEmpty)
        let frames = try client.frames()
        #expect(frames.count == 1 && frames[0].type == 0x4 && frames[0].isAck && frames[0].payload.isEmpty)
        #expect(client.connection.peerSettings.headerTableSize == 0)
        #expect(client.connection.peerSettings.maxHeaderListSize == 100)
    }

    struct BadSettings: Sendable, CustomStringConvertible {
        var name: String
        var frame: [UInt8]
        var code: HTTP2ErrorCode
        var description: String { name }
    }

    static let badSettings: [BadSettings] = [
        BadSettings(name: "ENABLE_PUSH 2", frame: FrameBuilder.settings([(0x2, 2)]), code: .protocolError),
        BadSettings(name: "ENABLE_CONNECT_PROTOCOL 2", frame: FrameBuilder.settings([(0x8, 2)]), code: .protocolError),
        BadSettings(name: "INITIAL_WINDOW_SIZE 2^31", frame: FrameBuilder.settings([(0x4, 1 << 31)]), code: .flowControlError),
        BadSettings(name: "MAX_FRAME_SIZE 16383", frame: FrameBuilder.settings([(0x5, 16_383)]), code: .protocolError),
        BadSettings(name: "MAX_FRAME_SIZE 2^24", frame: FrameBuilder.settings([(0x5, 1 << 24)]), code: .protocolError),
        BadSettings(name: "length not a multiple of 6", frame: FrameBuilder.frame(0x4, stream: 0, [0, 1, 0, 0, 0]), code: .frameSizeError),
        BadSettings(name: "ACK with payload", frame: FrameBuilder.frame(0x4, flags: 1, stream: 0, [0, 1, 0, 0, 0, 0]), code: .frameSizeError),
        BadSettings(name: "on a stream", frame: FrameBuilder.frame(0x4, stream: 1, []), code: .protocolError),
    ]

    @Test(arguments: badSettings)
    func invalidSettingsAreConnectionErrors(_ bad: BadSettings) throws {
        var client = try TestClient.started()
        let events = client.send(bad.frame)
        #expect(events.count == 1 && events[0].connectionErrorCode == bad.code)
        #expect(TestClient.goAwayCode(try client.frames()) == bad.code)
        #expect(client.connection.isClosed)
    }

    @Test func validBoundarySettingsAreAccepted() throws {
        var client = try TestClient.started()
        let events = client.send(FrameBuilder.settings([(0x2, 1), (0x4, UInt32(Int32.max)), (0x5, (1 << 24) - 1), (0x5, 16_384)]))
        #expect(events.isEmpty)
        #expect(client.connection.peerSettings.initialWindowSize == Int(Int32.max))
        #expect(client.connection.peerSettings.maxFrameSize == 16_384)
    }

    @Test func headerTableSizeAppliesToOurDecoderOnlyAfterTheAck() throws {
        var settings = HTTP2Settings()
        settings.headerTableSize = 0
        var client = TestClient(settings: settings)
        _ = client.send(HTTP2.clientPreface + FrameBuilder.settings())
        #expect(client.connection.decoderTableLimit == 4096)
        _ = client.send(FrameBuilder.settings(ack: true))
        #expect(client.connection.decoderTableLimit == 0)
    }
}

@Suite struct OutputTests {
    @Test func takeOutputAppendingSwapsIntoAnEmptyBufferAndAppendsOtherwise() throws {
        var client = TestClient()
        var buffer: [UInt8] = []
        client.connection.takeOutput(appendingTo: &buffer)
        #expect(ParsedFrame.parse(buffer)?.count == 2)
        #expect(!client.connection.hasOutput)
        _ = client.send(HTTP2.clientPreface + FrameBuilder.settings() + FrameBuilder.ping())
        let before = buffer
        client.connection.takeOutput(appendingTo: &buffer)
        #expect(Array(buffer.prefix(before.count)) == before)
        #expect(ParsedFrame.parse(buffer)?.map(\.type) == [0x4, 0x8, 0x4, 0x6])
        client.connection.takeOutput(appendingTo: &buffer)
        #expect(client.connection.takeOutput().isEmpty)
    }

    @Test func sendDataAcceptsAnyCollection() throws {
        var client = try TestClient.started()
        client.open(1, endStream: true)
        _ = try client.frames()
        client.connection.sendHeaders(streamID: 1, headers: [HeaderField(":status", "200")], endStream: false)
        client.connection.sendData(streamID: 1, bytes: (1...5).map { UInt8($0) }[1...], endStream: false)
        client.connection.sendData(streamID: 1, bytes: (UInt8(10)...UInt8(12)), endStream: true)
        let frames = try client.frames()
        #expect(frames.filter { $0.type == 0x0 }.map(\.payload) == [[2, 3, 4, 5], [10, 11, 12]])
        #expect(client.connection.streamState(1) == .closed)
    }
}

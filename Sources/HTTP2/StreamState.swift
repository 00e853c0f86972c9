/// A stream's state (RFC 9113 §5.1), as far as a server without push can see it.
///
/// Only `open`, `halfClosedRemote` and `halfClosedLocal` streams are kept by the connection; `idle` is
/// every id above the highest the client used, `closed` every other (a bounded memory of recently closed
/// streams decides between STREAM_CLOSED and PROTOCOL_ERROR answers, see `RecentlyClosedStreams`).
public enum StreamState: Sendable, Hashable {
    case idle
    /// Both sides may send.
    case open
    /// The client sent END_STREAM; we still send the response.
    case halfClosedRemote
    /// We sent END_STREAM; the client still sends its request.
    case halfClosedLocal
    case closed

    /// After the peer's END_STREAM.
    var closingRemote: StreamState {
        switch self {
        case .open: .halfClosedRemote
        case .halfClosedLocal, .halfClosedRemote, .closed: .closed
        case .idle: .halfClosedRemote
        }
    }

    /// After our END_STREAM went out.
    var closingLocal: StreamState {
        switch self {
        case .open: .halfClosedLocal
        case .halfClosedRemote, .halfClosedLocal, .closed: .closed
        case .idle: .halfClosedLocal
        }
    }

    /// The peer may still send DATA and trailers.
    var remoteOpen: Bool { self == .open || self == .halfClosedLocal }
    /// We may still send.
    var localOpen: Bool { self == .open || self == .halfClosedRemote }
}

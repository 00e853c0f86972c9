/// Why a transport could not do what it was asked. For a fuzz run every one of these is a failure of
/// the server under test: it refused a connection, hung up, or did not answer within the bound.
public struct FuzzTransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The connection was refused: nothing listens any more.
        case refused
        /// The connection was reset, or a send failed.
        case reset
        /// The server closed a connection the fuzzer had not closed.
        case closed
        /// No answer within the bound.
        case timeout
        /// An answer, but not the one a healthy server gives (e.g. the healthy client's GET refused).
        case badReply
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// One fuzz connection: takes a case's bytes and can tell when the server has caught up with them.
///
/// Waits are bounded by the deadlines given (monotonic nanoseconds, as `Posix.monotonicNanoseconds()`).
public protocol FuzzLane: AnyObject {
    /// Writes `bytes`, reading and discarding replies meanwhile so that neither side can block the other.
    func send(_ bytes: [UInt8], deadline: UInt64) throws(FuzzTransportError)
    /// Returns once the server has answered everything sent on this lane so far.
    func sync(deadline: UInt64) throws(FuzzTransportError)
    /// Closes the connection: gracefully, or with a reset (RST).
    func close(reset: Bool)
}

/// How fuzz bytes reach a server and how its health is checked: one conforming type per wire protocol
/// (the line protocol's is ``LineTransport``), so that ``FuzzDriver`` runs any front end — the line
/// protocol today, gRPC over HTTP/2 or HTTP/1.1 JSON later — with the same loop, bounds and report.
public protocol FuzzTransport: AnyObject {
    associatedtype Lane: FuzzLane

    /// Prepares the server for the run (the healthy client's connection, seed keys, the mode's auth state).
    func setUp() throws(FuzzTransportError)
    /// Opens fuzz connection number `index`.
    func openLane(_ index: Int) throws(FuzzTransportError) -> Lane
    /// One round of the healthy client on its own connection; returns each request's latency in
    /// nanoseconds. Throws when an answer does not come within the transport's bound or is wrong.
    func probe() throws(FuzzTransportError) -> [UInt64]
    /// Keeps a long run's server state bounded (drops what the cases wrote, compacts history).
    func housekeep() throws(FuzzTransportError)
    /// Leaves the server as the run found it, as far as it can (best effort; also after a failure).
    func tearDown()
}

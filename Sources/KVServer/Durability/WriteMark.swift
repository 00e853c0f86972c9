/// The log index of the last write a connection's requests appended, kept by its `ClientTransport` and
/// set by `Service.handle` through the client's `ClientSession`.
///
/// It matters only while the log cannot write (a full or failing disk): then the transport holds just
/// the output of connections whose own writes wait for the disk — their acknowledgements — and lets
/// every other reply go, so reads keep being answered (from memory, which may show those writes before
/// they are durable; they are never acknowledged until they are). Loop thread only.
final class WriteMark {
    var index: UInt64 = 0
}

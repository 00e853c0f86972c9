/// One header of an HTTP/2 header list (a name and a value, both as sent: HTTP/2 names are lower-case).
public struct HeaderField: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// RFC 7541 §4.1: the size a header counts for in the dynamic table and in header-list limits.
    public var size: Int { name.utf8.count + value.utf8.count + 32 }

    public var description: String { "\(name): \(value)" }
}

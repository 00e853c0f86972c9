/// `-w/--write-out`.
public enum OutputFormat: String, Sendable {
    case simple, json, fields, table, protobuf

    /// etcdctl's rule: exact lower-case names; anything else fails before the request.
    static func parse(_ text: String) throws(CtlError) -> OutputFormat {
        guard let format = OutputFormat(rawValue: text) else {
            throw CtlError(ExitCode.badFeature, "unsupported output format")
        }
        return format
    }

    /// The error for a format the command cannot print (after the request ran, as etcdctl).
    var unsupported: CtlError { CtlError(ExitCode.badFeature, "\(rawValue) not supported as output format") }
}

/// The ways the line-protocol fuzzer breaks a request. Each must be answered with reply lines (mostly
/// `ERR PROTOCOL`, `ERR ARGS`, `ERR TOO_LARGE`) or, where the result still parses, served — never with a
/// crash, a hang, or a stall of other connections.
public enum LineMutation: String, CaseIterable, Sendable {
    // Aimed at the request's structure (``LineMutator``).

    /// A number replaced by an int64 edge or an odd spelling (``NumericEdges``).
    case numericEdge
    /// An option removed.
    case flagRemoved
    /// An option given twice (same or another value).
    case flagRepeated
    /// An option's name misspelled: a letter dropped or swapped, one or three dashes, `_` for `-`.
    case flagMisspelled
    /// `--name=` with an empty value, or a value given to a flag.
    case flagEmptyValue
    /// An option of another command, a conflicting one, or a word option with a word it does not know.
    case flagForeign
    /// A positional argument removed.
    case argumentDropped
    /// A positional argument added.
    case argumentAdded
    /// The verb replaced: unknown, planned (`DEFRAG`), quoted, truncated, or another command's verb.
    case verbMangled
    /// An invalid escape inside a quoted token (`\q`, `\xZ1`, `\x4`, a backslash before the closing quote).
    case badEscape
    /// Broken quoting: unterminated, text glued after the closing quote, a backslash or non-ASCII byte
    /// outside quotes.
    case badQuoting
    /// A tag at or past its edges: 32 and 33 characters, empty, invalid characters, no command after it.
    case tagEdge
    /// TXN syntax broken: sections out of order, a nested `END` missing or one too many, a bare reserved
    /// word as a key, a compare without operator or operand, a verb not allowed in a branch.
    case txnSyntax
    /// A token so long the line lands just under, on, or past the server's line limit.
    case longToken

    // Aimed at the rendered bytes (``ByteMutator``).

    /// Random bits flipped.
    case byteFlip
    /// Awkward bytes inserted: NUL, control bytes, `\r`, `\n`, quotes, backslashes, bytes ≥ 0x80.
    case byteInsertion
    /// The line cut short (still terminated).
    case truncation
    /// Leading, trailing and doubled whitespace, blank lines, stray `\r`.
    case whitespace

    // Whole-case shapes (``LineShapes``).

    /// TXN inside TXN, hundreds to a hundred thousand levels deep.
    case deepTxnNesting
    /// A TXN with one less, exactly, and more than `--max-txn-ops` operations or compares.
    case txnOpCountEdge
    /// Many requests, valid and mutated, in one write.
    case pipelined
    /// Part of a line, then the connection closed or reset.
    case partialLineDisconnect

    /// The mutations aimed at a request's structure, applied before rendering.
    public static let structural: [LineMutation] = [
        .numericEdge, .flagRemoved, .flagRepeated, .flagMisspelled, .flagEmptyValue, .flagForeign,
        .argumentDropped, .argumentAdded, .verbMangled, .badEscape, .badQuoting, .tagEdge, .txnSyntax, .longToken,
    ]

    /// The mutations aimed at rendered bytes.
    public static let byteLevel: [LineMutation] = [.byteFlip, .byteInsertion, .truncation, .whitespace]
}

/// Go's `text/tabwriter` as etcdctl configures it for usage texts (minwidth 0, tabwidth 8,
/// padding 1, padded with tabs): `\t` ends a cell, columns of consecutive lines align.
enum TabWriter {
    static func format(_ text: String) -> String {
        var lines: [[String]] = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        if lines.last == [""] { lines.removeLast() }
        var out = ""
        var widths: [Int] = []
        emit(lines, 0, lines.count, &widths, &out)
        return out
    }

    private static func emit(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: inout [Int], _ out: inout String) {
        var line0 = start
        var this = start
        let column = widths.count
        while this < end {
            if column >= lines[this].count - 1 { this += 1; continue }
            write(lines, line0, this, widths, &out)
            line0 = this
            var width = 0
            while this < end, column < lines[this].count - 1 {
                width = max(width, lines[this][column].unicodeScalars.count + 1)
                this += 1
            }
            widths.append(width)
            emit(lines, line0, this, &widths, &out)
            widths.removeLast()
            line0 = this
        }
        write(lines, line0, end, widths, &out)
    }

    private static func write(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: [Int], _ out: inout String) {
        guard start < end else { return }
        for index in start..<end {
            let cells = lines[index]
            for (j, cell) in cells.enumerated() {
                out += cell
                if j < cells.count - 1, j < widths.count {
                    let cellWidth = (widths[j] + 7) / 8 * 8
                    let pad = cellWidth - cell.unicodeScalars.count
                    out += String(repeating: "\t", count: (pad + 7) / 8)
                }
            }
            out += "\n"
        }
    }
}

/// The tables etcdctl draws with olekukonko/tablewriter: centred upper-case headers, right-aligned
/// cells, `+---+` borders.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let header = header.map { $0.uppercased() }
        var widths = header.map { $0.unicodeScalars.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], cell.unicodeScalars.count)
            }
        }
        let border = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+\n"
        var out = border + "|"
        for (i, title) in header.enumerated() {
            let pad = widths[i] - title.unicodeScalars.count
            let left = pad / 2
            out += " " + String(repeating: " ", count: left) + title + String(repeating: " ", count: pad - left) + " |"
        }
        out += "\n" + border
        for row in rows {
            out += "|"
            for (i, width) in widths.enumerated() {
                let cell = i < row.count ? row[i] : ""
                out += " " + String(repeating: " ", count: width - cell.unicodeScalars.count) + cell + " |"
            }
            out += "\n"
        }
        return out + border
    }
}

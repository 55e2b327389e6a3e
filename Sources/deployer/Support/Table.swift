/// Rows of cells as lines whose columns line up (two spaces apart; the last column unpadded),
/// so a table reads the same in a terminal and in a CI log.
func alignedLines(_ rows: [[String]], indent: String = "") -> [String] {
    let widths = rows.reduce(into: [Int]()) { widths, row in
        for (index, cell) in row.enumerated() {
            if index == widths.count { widths.append(0) }
            widths[index] = max(widths[index], cell.count)
        }
    }
    return rows.map { row in
        let cells = row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
        }
        return indent + cells.joined(separator: "  ")
    }
}

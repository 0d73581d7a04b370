extension StringProtocol {
    /// The text without leading and trailing whitespace (ASCII, ideographic space U+3000 and no-break space).
    func trimmingWhitespace() -> String {
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isWaihuWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isWaihuWhitespace })!
        return String(Substring(scalars[first...last]))
    }
}

extension Unicode.Scalar {
    var isWaihuWhitespace: Bool {
        switch value {
        case 0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x3000, 0xFEFF: true
        default: false
        }
    }
}

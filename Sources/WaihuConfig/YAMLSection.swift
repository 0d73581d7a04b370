import WaihuCore
import Yams

/// A mapping of a YAML file read key by key: every value's type and range is checked, unknown keys are
/// refused (a typo must not silently leave a default in force), and errors name the full key path.
struct YAMLSection {
    let file: String
    let path: String
    let mapping: Node.Mapping
    private(set) var read: Set<String> = []

    init(file: String, path: String, node: Node) throws(ConfigurationError) {
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(file)\(YAMLSection.line(node)): \(path.isEmpty ? "the file" : "'\(path)'") must be a mapping of keys to values")
        }
        self.file = file
        self.path = path
        self.mapping = mapping
    }

    /// Parses a whole file; an empty file is an empty mapping.
    static func document(_ text: String, file: String) throws(ConfigurationError) -> YAMLSection {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(file): not valid YAML: \(error)")
        }
        return try YAMLSection(file: file, path: "", node: node ?? Node.mapping(Node.Mapping([])))
    }

    static func line(_ node: Node) -> String { node.mark.map { ":\($0.line)" } ?? "" }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private mutating func value(_ name: String) -> Node? {
        read.insert(name)
        return mapping[name]
    }

    private func fail(_ node: Node, _ name: String, _ problem: String) -> ConfigurationError {
        ConfigurationError("\(file)\(YAMLSection.line(node)): '\(key(name))' \(problem)")
    }

    mutating func string(_ name: String) throws(ConfigurationError) -> String? {
        guard let node = value(name) else { return nil }
        guard let scalar = node.scalar else { throw fail(node, name, "must be text") }
        return scalar.string
    }

    mutating func int(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let node = value(name) else { return nil }
        guard let number = node.int else {
            throw fail(node, name, "must be a whole number, not '\(node.scalar?.string ?? "a list or mapping")'")
        }
        guard range.contains(number) else {
            throw fail(node, name, "is \(number); it must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// A share between 0 and 1 (`0.25`, or `25%`).
    mutating func fraction(_ name: String) throws(ConfigurationError) -> Double? {
        guard let node = value(name) else { return nil }
        let text = node.scalar?.string ?? ""
        let number = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let number, (0...1).contains(number) else {
            throw fail(node, name, "is '\(text)'; give a share between 0 and 1, such as 0.25 or 25%")
        }
        return number
    }

    mutating func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let node = value(name) else { return nil }
        guard let flag = node.bool else { throw fail(node, name, "must be true or false, not '\(node.scalar?.string ?? "?")'") }
        return flag
    }

    mutating func choice<T>(_ name: String, _ parse: (String) -> T?, allowed: String) throws(ConfigurationError) -> T? {
        guard let node = value(name) else { return nil }
        guard let text = node.scalar?.string, let choice = parse(text) else {
            throw fail(node, name, "is '\(node.scalar?.string ?? "?")'; use \(allowed)")
        }
        return choice
    }

    /// A list of text values (`[a, b]` or one per line).
    mutating func strings(_ name: String) throws(ConfigurationError) -> [String]? {
        guard let node = value(name) else { return nil }
        guard let sequence = node.sequence else { throw fail(node, name, "must be a list, such as [marketing, service]") }
        var values: [String] = []
        for item in sequence {
            guard let text = item.scalar?.string else { throw fail(item, name, "must list text values") }
            values.append(text)
        }
        return values
    }

    /// A list of mappings.
    mutating func sections(_ name: String) throws(ConfigurationError) -> [YAMLSection]? {
        guard let node = value(name) else { return nil }
        guard let sequence = node.sequence else { throw fail(node, name, "must be a list of mappings") }
        var sections: [YAMLSection] = []
        for (position, item) in sequence.enumerated() {
            sections.append(try YAMLSection(file: file, path: "\(key(name))[\(position)]", node: item))
        }
        return sections
    }

    /// A time of day `HH:MM` (24:00 allowed as the end of a day), as seconds after midnight.
    mutating func timeOfDay(_ name: String) throws(ConfigurationError) -> Int64? {
        guard let node = value(name) else { return nil }
        guard let text = node.scalar?.string, let seconds = YAMLSection.parseTimeOfDay(text) else {
            throw fail(node, name, "is '\(node.scalar?.string ?? "?")'; give a time of day such as 08:00")
        }
        return seconds
    }

    static func parseTimeOfDay(_ text: String) -> Int64? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let hours = Int64(parts[0]), let minutes = Int64(parts[1]),
              (0...24).contains(hours), (0..<60).contains(minutes), hours < 24 || minutes == 0 else { return nil }
        return hours * 3600 + minutes * 60
    }

    /// Throws a problem about key `name` of this section.
    func problem(_ name: String, _ message: String) -> ConfigurationError {
        let node = mapping[name] ?? Node.mapping(mapping)
        return fail(node, name, message)
    }

    mutating func section(_ name: String) throws(ConfigurationError) -> YAMLSection? {
        guard let node = value(name) else { return nil }
        return try YAMLSection(file: file, path: key(name), node: node)
    }

    /// Refuses keys that were never read: they are typos or settings this version does not know.
    func finish() throws(ConfigurationError) {
        for (keyNode, _) in mapping {
            let name = keyNode.scalar?.string ?? "?"
            if !read.contains(name) {
                let known = read.sorted().joined(separator: ", ")
                throw ConfigurationError("\(file)\(YAMLSection.line(keyNode)): unknown key '\(key(name))'; known keys here are \(known)")
            }
        }
    }
}

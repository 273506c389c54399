import Foundation
import Yams

/// `editions:` in course.yml: which offline editions the build writes beside the site, and the
/// books' stable identifier. Every edition is on unless turned off:
///
///     editions:
///       epub: false
///       site-zip: false
///       identifier: urn:isbn:9780000000000
public struct EditionSettings: Sendable, Hashable {
    public var epub = true
    public var siteZip = true
    /// The EPUB's `dc:identifier`; without it, a name-based UUID of the title and language.
    public var identifier: String?

    public init() {}

    static let knownKeys = ["epub", "identifier", "site-zip"]

    init(_ node: Node, yaml: YAMLDocument, file: URL) throws {
        guard let mapping = node.mapping else {
            throw SiteError(file: file, line: yaml.line(of: node), "'editions' must be a mapping such as `epub: false`")
        }
        for (key, value) in mapping {
            switch key.string {
            case "epub": epub = try yaml.bool(value, key: "epub")
            case "site-zip": siteZip = try yaml.bool(value, key: "site-zip")
            case "identifier": identifier = try yaml.string(value, key: "identifier")
            default:
                throw SiteError(
                    file: file, line: yaml.line(of: key),
                    "unknown key '\(key.string ?? "")' under 'editions' (known: \(Self.knownKeys.joined(separator: ", ")))")
            }
        }
    }
}

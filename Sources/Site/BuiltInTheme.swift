import Common
import Foundation

/// The built-in theme: `templates/` as it was when the program was built, compiled into it by the
/// EmbedTheme plugin (`BuiltInThemeFiles`), so an installed `hypercourse` needs no file beside it.
/// `templates/` stays the source to edit; a course's `templates:` folder and `--templates` are
/// layered over this one.
enum BuiltInTheme {
    /// Shown where a message names a built-in file: `(built-in theme)/layout.mustache`.
    static let displayName = "(built-in theme)"

    /// Relative path → contents.
    static let files: [String: Data] = BuiltInThemeFiles.files.compactMapValues { Data(base64Encoded: $0) }
}

/// One file of a theme layer: on disk (a course's templates, `--templates`) or compiled in.
enum ThemeFile {
    case disk(URL)
    case builtIn(path: String, contents: Data)

    /// How messages name the file.
    var displayPath: String {
        switch self {
        case .disk(let url): DisplayPath.of(url)
        case .builtIn(let path, _): BuiltInTheme.displayName + "/" + path
        }
    }

    /// A URL for APIs that want one for their messages; a built-in file's does not exist on disk.
    var displayURL: URL {
        switch self {
        case .disk(let url): url
        case .builtIn: URL(fileURLWithPath: displayPath)
        }
    }

    func data() throws -> Data {
        switch self {
        case .disk(let url):
            do {
                return try Data(contentsOf: url)
            } catch {
                throw SiteError(file: url, "unreadable theme file: \(error.localizedDescription)")
            }
        case .builtIn(_, let contents): return contents
        }
    }

    func text() throws -> String {
        switch self {
        case .disk(let url): return try SourceFile.read(url)
        case .builtIn(let path, let contents):
            guard let text = String(data: contents, encoding: .utf8) else {
                throw SiteError(file: displayPath, "unreadable file: not valid UTF-8 text (\(path))")
            }
            return text
        }
    }
}

import Foundation

// EmbedFiles ENUM ROOT OUTPUT FILE...
//
// Writes OUTPUT, a Swift file declaring `enum ENUM` whose `files` maps each FILE (a path relative to
// ROOT) to its bytes in base64. Base64 keeps every byte exact (CRLF, binary assets, quotes,
// backslashes) with no escaping rules to get wrong, and one string literal per file compiles
// quickly, unlike a byte-array literal. Run by the EmbedTheme plugin at build time.

/// A Swift string literal spelling `text`: backslashes and quotes escaped, anything below a space
/// written as a `\u{...}` escape.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case _ where scalar.value < 0x20: out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedFiles: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else { fail("usage: EmbedFiles ENUM ROOT OUTPUT FILE...") }
let (enumName, root, output) = (arguments[0], URL(fileURLWithPath: arguments[1]), URL(fileURLWithPath: arguments[2]))

var source = """
    // Generated at build time by the EmbedFiles tool from \(root.lastPathComponent)/. Do not edit:
    // edit the files in \(root.lastPathComponent)/ instead.

    enum \(enumName) {
        /// Relative path → contents in base64.
        static let files: [String: String] = [

    """
for relative in arguments.dropFirst(3) {
    guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(relative).path) else {
        fail("cannot read \(root.appendingPathComponent(relative).path)")
    }
    source += "        \(literal(relative)): \"\(data.base64EncodedString())\",\n"
}
source += "    ]\n}\n"

// Rewritten only when different, so an unchanged theme does not recompile the module.
if FileManager.default.contents(atPath: output.path) != Data(source.utf8) {
    do {
        try Data(source.utf8).write(to: output, options: .atomic)
    } catch {
        fail("cannot write \(output.path): \(error)")
    }
}

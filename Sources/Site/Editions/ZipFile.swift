import Foundation
import ZIPFoundation

/// Writes a zip file whose bytes depend only on the entries given: every entry carries the same
/// date and permissions, and entries are written in the order given (ZIPFoundation deflates
/// through zlib, which is deterministic).
enum ZipFile {
    struct Entry {
        var path: String
        var data: Data
        /// Stored as is: EPUB's `mimetype` must be, and compressing images gains nothing.
        var stored = false
    }

    static func write(_ entries: [Entry], to url: URL, modified: Date) throws {
        try? FileManager.default.removeItem(at: url)
        do {
            let archive = try Archive(url: url, accessMode: .create)
            for entry in entries {
                let data = entry.data
                try archive.addEntry(
                    with: entry.path, type: .file, uncompressedSize: Int64(data.count), modificationDate: modified, permissions: 0o644,
                    compressionMethod: entry.stored || data.isEmpty ? .none : .deflate
                ) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
        } catch let error as SiteError {
            throw error
        } catch {
            throw SiteError(file: url, "cannot write this zip file: \(error)")
        }
    }
}

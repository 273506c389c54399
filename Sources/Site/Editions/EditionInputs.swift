import Foundation

/// Everything the offline editions of a build are made from, as one fingerprint kept beside them
/// (`downloads/.editions.key`): the program that builds them, the settings, each language's rendered
/// bodies, and the name, size and modification time of every file in the content, theme and
/// templates folders. When the previous build's fingerprint is the same, its editions are the
/// ones this build would write, and are kept without being converted, zipped or printed again.
struct EditionInputs {
    var languages: [EditionWriter.Language]
    var settings: EditionSettings
    var pdfBrowser: String?
    /// The content folder and the theme and templates folders the build reads.
    var folders: [URL]

    /// Written after the editions, so a build killed while writing them leaves no key behind.
    static let keyFile = ".editions.key"

    func fingerprint() -> String {
        var hash = Fingerprint()
        hash.add("editions 1\n\(Self.programIdentity())\n")
        hash.add("\(settings.epub) \(settings.siteZip) \(settings.identifier ?? "-") \(pdfBrowser ?? "-")\n")
        hash.add(ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"] ?? "-")
        for folder in folders { addFiles(under: folder, to: &hash) }
        for language in languages {
            hash.add("\n\(language.course.config.language)\n")
            for path in language.bodies.keys.sorted() {
                let body = language.bodies[path]!
                hash.add(path)
                hash.add(body.html)
                hash.add(body.printHTML)
                for download in body.downloads { hash.add(download.outputPath + "\n" + download.text) }
            }
        }
        return hash.hexDigest()
    }

    /// Each file's path, size and modification time (to the nanosecond): images and course.yml are
    /// inputs, and a stat costs far less than reading them.
    private func addFiles(under folder: URL, to hash: inout Fingerprint) {
        hash.add("\nfolder \(folder.standardizedFileURL.path)\n")
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey]
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: keys)
        let prefix = folder.standardizedFileURL.path.count
        var lines: [String] = []
        while let url = walker?.nextObject() as? URL {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true else { continue }
            let modified = values.contentModificationDate?.timeIntervalSince1970 ?? 0
            lines.append("\(url.standardizedFileURL.path.dropFirst(prefix)) \(values.fileSize ?? -1) \(modified)")
        }
        for line in lines.sorted() { hash.add(line + "\n") }
    }

    /// The running program's size and modification time: a new hypercourse may write other
    /// editions from the same sources. Unknown, the fingerprint never matches.
    static func programIdentity() -> String {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return UUID().uuidString }
        return "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ino)"
    }
}

/// A 128-bit non-cryptographic hash, eight bytes a step: it tells changed inputs from unchanged
/// ones (nobody gains by forging a collision with their own sources), and runs at memory speed
/// where SHA-256 in plain Swift would cost a warm build a noticeable part of its time.
struct Fingerprint {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var length: UInt64 = 0

    mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        // The length ends each piece, so moving bytes from one piece to the next changes the hash.
        mix(UInt64(text.utf8.count) ^ 0xFF51_AFD7_ED55_8CCD)
    }

    private mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset + 8 <= bytes.count {
            // loadUnaligned: string storage is not 8-byte aligned; the bound check above keeps it inside.
            mix(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var tail: UInt64 = 0
        for (shift, byte) in bytes[offset...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(shift)) }
        mix(tail)
        length &+= UInt64(bytes.count)
    }

    private mutating func mix(_ word: UInt64) {
        a = (a ^ word) &* 0x0000_0100_0000_01B3
        a = (a << 29) | (a >> 35)
        b = (b &+ word) &* 0x9FB2_1C65_1E98_DF25
        b ^= b >> 31
    }

    func hexDigest() -> String {
        var x = a ^ length, y = b &+ length
        for _ in 0..<2 {
            x = (x ^ (y >> 33)) &* 0xFF51_AFD7_ED55_8CCD
            y = (y ^ (x >> 29)) &* 0xC4CE_B9FE_1A85_EC53
        }
        return String(format: "%016llx%016llx", x, y)
    }
}

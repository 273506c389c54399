/// What `qemu -kernel FILE -append TEXT -initrd "MOD ARGS,..."` hands a Multiboot kernel, as values.
public struct MultibootKernel: Sendable, Hashable {
    /// One module: its bytes, and its string exactly as given (`"FILE ARGS"`: the file name, then
    /// everything after the first space), which the kernel receives as the module's command line.
    public struct Module: Sendable, Hashable {
        public var bytes: [UInt8]
        public var string: String

        public init(bytes: [UInt8], string: String) {
            self.bytes = bytes
            self.string = string
        }

        /// The file part of `string`: up to the first space, as QEMU splits it.
        public static func fileName(of string: String) -> String {
            String(string.prefix { $0 != " " })
        }
    }

    /// The kernel file's bytes (an ELF executable, or any file whose header has address fields).
    public var file: [UInt8]
    /// The kernel's file name as given: the command line starts with it, and errors name it.
    public var name: String
    /// The `-append` text.
    public var appendText: String
    public var modules: [Module]

    public init(file: [UInt8], name: String, appendText: String = "", modules: [Module] = []) {
        self.file = file
        self.name = name
        self.appendText = appendText
        self.modules = modules
    }

    /// The kernel's command line as QEMU builds it: the file name as given, a space, the append text
    /// (so an empty append still leaves the space).
    public var commandLine: String { name + " " + appendText }

    /// Whether `bytes` carry a Multiboot header, and so are meant to boot as a kernel. Problems with
    /// the file (no ELF and no address fields, bad fields) are `MultibootLoader.plan`'s to report.
    public static func isKernel(_ bytes: [UInt8]) -> Bool {
        do {
            return try MultibootHeader.find(in: bytes, name: "") != nil
        } catch {
            return true // a header whose address fields are cut off is still meant as one
        }
    }
}

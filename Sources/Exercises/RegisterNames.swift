import Hypervisor

/// Register changes as a guest in a given mode sees them. The record keeps every register at full
/// width under its 64-bit name (`rdx 0x0→0x3fd`), the same on every host and for every display; a
/// real-mode reader expects `dx 0x0 → 0x3fd`, a 32-bit one `eax`. This is display only: nothing
/// here changes a record or a key.
public enum RegisterNames {
    /// The width registers have in `mode`: 16, 32 or 64 bits.
    public static func width(of mode: GuestMode) -> Int {
        switch mode {
        case .real: 16
        case .protected: 32
        case .long, .user: 64
        }
    }

    /// A change as shown for `mode`: the mode's own name and width, unless the change touches bits
    /// above that width, in which case the narrowest wider name that holds it (a real-mode guest that
    /// sets EAX's top half shows `eax`). Values are masked to the chosen width.
    public static func display(
        name: String, before: UInt64, after: UInt64, mode: GuestMode
    ) -> (name: String, before: String, after: String) {
        let changed = before ^ after
        var width = self.width(of: mode)
        while width < 64 && changed >> UInt64(width) != 0 { width *= 2 }
        let mask: UInt64 = width == 64 ? .max : (UInt64(1) << UInt64(width)) - 1
        return (self.name(name, width: width), hex(before & mask), hex(after & mask))
    }

    /// A recorded change (`[name, before, after]` with hex values) as shown for `mode`; a change this
    /// code cannot read is shown as recorded.
    public static func display(recorded change: [String], mode: GuestMode) -> [String] {
        guard change.count == 3, let before = value(change[1]), let after = value(change[2]) else { return change }
        let shown = display(name: change[0], before: before, after: after, mode: mode)
        return [shown.name, shown.before, shown.after]
    }

    /// The name of 64-bit register `name` at `width` bits: `rax` → `eax`/`ax`, `r8` → `r8d`/`r8w`,
    /// `rip` → `eip`/`ip`, `rflags` → `eflags`/`flags`. Unknown names are returned unchanged.
    public static func name(_ name: String, width: Int) -> String {
        guard width < 64 else { return name }
        if let number = numbered(name) { return "r\(number)" + (width == 32 ? "d" : "w") }
        let base: String
        switch name {
        case "rflags": base = "flags"
        case "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "rip": base = String(name.dropFirst())
        default: return name
        }
        return width == 32 ? "e" + base : base
    }

    private static func numbered(_ name: String) -> Int? {
        guard name.hasPrefix("r"), let number = Int(name.dropFirst()), (8...15).contains(number) else { return nil }
        return number
    }

    private static func value(_ text: String) -> UInt64? {
        guard text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }
}

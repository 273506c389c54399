/// The CPU mode a guest starts in. The entry state of each is the guest contract in
/// docs/guest-machine.md; `EntryState` builds it and `GuestLayout` names every address it uses.
public enum GuestMode: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// 16-bit real mode: image at 0x7C00, CS=DS=ES=SS=0, IP=SP=0x7C00 (the boot-sector convention).
    case real
    /// 32-bit flat protected mode, paging off: image at 1 MiB, ESP at the top of RAM.
    case protected
    /// 64-bit long mode at ring 0 on identity-mapped page tables: image at 1 MiB, RSP at the top of RAM.
    case long
    /// As `long`, but at ring 3 with IOPL=3 (and an all-ports I/O bitmap), so port I/O is allowed.
    case user

    public var description: String { rawValue }

    /// Guest-physical address the image is loaded at, which is also where execution starts.
    public var loadAddress: UInt64 {
        self == .real ? GuestLayout.realModeLoadAddress : GuestLayout.highLoadAddress
    }

    /// Whether the guest runs on the host-built page tables.
    var usesPaging: Bool { self == .long || self == .user }
}

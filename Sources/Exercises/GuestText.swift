/// Guest output is bytes. Where text is needed (JSON, pages), it is decoded here, in one documented way.
public enum GuestText {
    /// UTF-8 decoding in which each maximal ill-formed subsequence becomes one U+FFFD (the Unicode
    /// Standard's "substitution of maximal subparts", §3.9). Valid UTF-8, including control characters
    /// and NUL, passes through unchanged; JSON encoding escapes those.
    public static func decode(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

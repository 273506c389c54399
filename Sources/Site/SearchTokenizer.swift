import Foundation

/// The words search indexes and looks up, for every language the site is written in. Its twin is
/// `tokens()` in `assets/site.js`, which splits a reader's query the same way; both follow these
/// rules, and `bench/search/compare.py` checks that they agree:
///
/// - Text is folded first: lowercased, decomposed (NFD), accents U+0300–U+036F removed.
/// - A word is a run of letters, marks and digits (Unicode categories L, M, N); everything else,
///   `_` included, separates words, so `KVM_GET_DIRTY_LOG` is found by `dirty log` as well.
/// - Han, Hiragana and Katakana are written without spaces, so a run of them is indexed as its
///   overlapping pairs of characters (bigrams) plus its last character: 虚拟化 → 虚拟, 拟化, 化. Every
///   character then starts some token, so a one-character query still finds it by prefix, and a
///   longer one finds its pairs. A query leaves the last character out (its pairs already hold it).
/// - Other words are indexed whole; a query word matches every indexed word it begins.
enum SearchTokenizer {
    /// `text` folded as search compares it.
    static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        let decomposed = text.lowercased().decomposedStringWithCanonicalMapping
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: decomposed.unicodeScalars.lazy.filter { !(0x300...0x36F).contains($0.value) })
        return String(scalars)
    }

    /// The tokens of `text`, in order, repeats kept. `query` leaves out the last character of a
    /// run of CJK characters that has pairs.
    static func tokens(_ text: String, query: Bool = false) -> [String] {
        var tokens: [String] = []
        forEachToken(in: text, query: query) { tokens.append($0) }
        return tokens
    }

    /// Calls `body` with each token of `text`, in order.
    static func forEachToken(in text: String, query: Bool = false, _ body: (String) -> Void) {
        var text = text
        let isASCII = text.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
        if isASCII {
            asciiTokens(text, body)
        } else {
            unicodeTokens(fold(text), query: query, body)
        }
    }

    /// The common case, without building Unicode scalars: ASCII letters and digits.
    private static func asciiTokens(_ text: String, _ body: (String) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var start = -1
            var word = [UInt8]()
            for i in 0...bytes.count {
                let b: UInt8 = i < bytes.count ? bytes[i] : 0x20
                let isWord = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                if isWord {
                    if start < 0 { start = i }
                    word.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
                } else if start >= 0 {
                    body(String(decoding: word, as: UTF8.self))
                    word.removeAll(keepingCapacity: true)
                    start = -1
                }
            }
        }
    }

    private static func unicodeTokens(_ folded: String, query: Bool, _ body: (String) -> Void) {
        var word = String.UnicodeScalarView()
        var cjk: [Unicode.Scalar] = []
        func flushWord() {
            if !word.isEmpty { body(String(word)) }
            word = String.UnicodeScalarView()
        }
        func flushCJK() {
            if cjk.count == 1 {
                body(String(Character(cjk[0])))
            } else if cjk.count > 1 {
                for i in 0..<(cjk.count - 1) {
                    var pair = String.UnicodeScalarView()
                    pair.append(cjk[i])
                    pair.append(cjk[i + 1])
                    body(String(pair))
                }
                if !query { body(String(Character(cjk[cjk.count - 1]))) }
            }
            cjk.removeAll(keepingCapacity: true)
        }
        for scalar in folded.unicodeScalars {
            if isCJK(scalar) {
                flushWord()
                cjk.append(scalar)
            } else if isWordScalar(scalar) {
                flushCJK()
                word.append(scalar)
            } else {
                flushWord()
                flushCJK()
            }
        }
        flushWord()
        flushCJK()
    }

    /// Letters, marks and digits: JavaScript's `[\p{L}\p{M}\p{N}]`.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// Han (the CJK Unified Ideographs, their extensions and compatibility forms), Hiragana and
    /// Katakana: the same ranges as site.js's `CJK` pattern.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x323AF: return true
        default: return false
        }
    }
}

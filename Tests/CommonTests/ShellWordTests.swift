import Testing

@testable import Common

/// Commands the site and the CLI show for pasting into a shell: each word reads back as written.
@Suite struct ShellWordTests {
    @Test func leavesFileNamesAndOptionsBare() {
        #expect(ShellWord.quoted("exercise-hello.asm") == "exercise-hello.asm")
        #expect(ShellWord.quoted("--timeout=0.5") == "--timeout=0.5")
        #expect(ShellWord.quoted("shared/serial.inc") == "shared/serial.inc")
    }

    @Test func quotesEverythingElse() {
        #expect(ShellWord.quoted("my course") == "'my course'")
        #expect(ShellWord.quoted("a b's") == "'a b'\\''s'")
        #expect(ShellWord.quoted("$HOME") == "'$HOME'")
        #expect(ShellWord.quoted("café") == "'café'")
        #expect(ShellWord.quoted("") == "''")
        #expect(ShellWord.command(["cd", "x;rm"]) == "cd 'x;rm'")
    }
}

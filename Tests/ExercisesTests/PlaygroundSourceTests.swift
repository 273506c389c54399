import Testing

@testable import Exercises

/// The playground's edit of a shown source: hidden parts go back where the lesson had them.
@Suite struct PlaygroundSourceTests {
    static let lesson = "; [hide]\nbits 32\n; [show]\n    mov al, 'P'\n    call putc\n    hlt\n; [hide]\n%include \"putc.inc\"\n; [show]\n"

    @Test func hiddenPartsGoBackAroundTheEdit() throws {
        let source = try GuestSource(Self.lesson, language: .asm)
        let edited = try source.replacingShown(with: "    mov al, 'Q'\n    call putc\n    nop\n    hlt\n", language: .asm)
        #expect(
            edited.built
                == "; [hide]\nbits 32\n; [show]\n    mov al, 'Q'\n    call putc\n    nop\n    hlt\n; [hide]\n%include \"putc.inc\"\n; [show]\n"
        )
        #expect(edited.display == "    mov al, 'Q'\n    call putc\n    nop\n    hlt\n")
        // Built line 6 (the nop) is the student's line 3.
        #expect(edited.shownLine(6) == 3)
        #expect(edited.shownLine(8) == nil)
    }

    @Test func aHiddenPartAfterLinesTheEditNoLongerHasGoesAtTheEnd() throws {
        let source = try GuestSource("    a\n    b\n; [hide]\n    hidden\n; [show]\n    c\n", language: .asm)
        let edited = try source.replacingShown(with: "    x\n", language: .asm)
        #expect(edited.built == "    x\n; [hide]\n    hidden\n; [show]\n")
        let unchanged = try source.replacingShown(with: source.display, language: .asm)
        #expect(unchanged.built == source.built)
    }

    @Test func markersInTheEditAreRefusedAtTheirLine() throws {
        let source = try GuestSource("int main(void) { return 0; }\n", language: .c)
        #expect(throws: GuestSource.MarkerError.self) { try source.replacingShown(with: "int x;\n  // [show]\n", language: .c) }
        do {
            _ = try source.replacingShown(with: "int x;\n// [hide]\n", language: .c)
            Issue.record("a marker in the edit was accepted")
        } catch {
            #expect(error.line == 2)
        }
    }
}

import Foundation
import Testing

@testable import Exercises

/// nasm's listing, read back into an address map (real nasm).
@Suite struct ListingTests {
    @Test func mapsAddressesToLinesThroughMacrosIncludesAndData() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lst-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "; included\nputc:\n    out dx, al\n    ret\n".write(
            to: directory.appendingPathComponent("inc.asm"), atomically: true, encoding: .utf8)
        let source = """
            bits 16
            org 0x7c00
            %macro PUT 1
                mov al, %1
                call putc
            %endmacro
                mov dx, 0x3f8      ; COM1
                PUT 'H'
                jmp done
            %include "inc.asm"
            done:
                hlt
            msg: db "a string long enough to wrap in the listing", 10, 0
            times 4 db 0
                mov [0x1234], ax

            """
        let assembly = try Nasm.locate().assemble(source: source, listing: true, includePaths: [directory])
        let map = NasmListing.parse(try #require(assembly.listing))
        #expect(
            map.location(atOffset: 0)
                == SourceLocation(builtLine: 7, elsewhere: nil, instruction: "mov dx, 0x3f8", lineText: "mov dx, 0x3f8"))
        // Macro lines belong to the line that invoked the macro, whose text is the line's text.
        #expect(map.location(atOffset: 3)?.builtLine == 8 && map.location(atOffset: 3)?.instruction == "mov al, %1")
        #expect(map.location(atOffset: 3)?.lineText == "PUT 'H'")
        #expect(map.location(atOffset: 5)?.builtLine == 8)
        #expect(map.location(atOffset: 8)?.builtLine == 9)
        // Included lines name their file.
        #expect(
            map.location(atOffset: 10)
                == SourceLocation(builtLine: nil, elsewhere: "inc.asm:3", instruction: "out dx, al", lineText: "out dx, al"))
        #expect(map.location(atOffset: 12)?.builtLine == 12 && map.location(atOffset: 12)?.instruction == "hlt")
        // A long db spans continuation lines: one entry of 45 bytes, then `times`, then the mov.
        #expect(map.location(atOffset: 13)?.builtLine == 13)
        #expect(map.location(atOffset: 13 + 45)?.builtLine == 14)
        #expect(map.location(atOffset: 13 + 45 + 4)?.instruction == "mov [0x1234], ax")
        // An address inside an instruction is no instruction; one just past it is found with `ending`.
        #expect(map.location(atOffset: 1) == nil)
        #expect(map.location(atOffset: 13 + 45 + 4 + 3, ending: true)?.builtLine == 15)
        #expect(assembly.image.count == 13 + 45 + 4 + 3)
    }

    @Test func byteCounts() {
        #expect(NasmListing.byteCount("BAF803") == 3)
        #expect(NasmListing.byteCount("48656C6C6F2C207468-") == 9)
        #expect(NasmListing.byteCount("00<rep 1FEh>") == 0x1FE)
        #expect(NasmListing.byteCount("<res Ah>") == 10)
    }

    @Test func makeDependencies() {
        #expect(MakeDependencies.parse("t : t.asm sub/inc.asm\n") == ["t.asm", "sub/inc.asm"])
        #expect(MakeDependencies.parse("g.o: g.c /x/hyper\\ course.h \\\n  /y/stdint.h\n") == ["g.c", "/x/hyper course.h", "/y/stdint.h"])
    }
}

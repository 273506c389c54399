import Foundation
import Hypervisor
import Site
import Testing

@testable import hypercourse

/// Lessons → Site → exercise provider (engine on real KVM, nasm, clang) → the CLI's adapter → HTML.
@Suite(.enabled(if: kvmPresent, "skipped: /dev/kvm is absent on this machine"))
struct PipelineTests {
    static let fixtureExercises = 16

    @Test func everyModeInAsmAndCReachesThePage() async throws {
        let course = FixtureCourse()
        let summary = try await course.build()
        #expect(summary.exercises == Self.fixtureExercises && summary.exercisesRun == Self.fixtureExercises && summary.exercisesCached == 0)

        let real = course.figure("fx-real")
        #expect(real.contains("<samp>R\n</samp>") && real.contains("exercise-end is-ok\">halt</span>"))
        // Hidden lines are not shown (only the whole program for "Copy all", in the card's <template>,
        // has them); the shown lines are numbered from 1.
        let shownSource = real.range(of: "</pre>").map { String(real[..<$0.lowerBound]) } ?? real
        #expect(!shownSource.contains("org 0x7c00") && real.contains("id=\"exercise-fx-real-L1\""))
        #expect(real.contains("<template class=\"exercise-whole-source\"") && real.contains("org 0x7c00"))
        #expect(course.figure("fx-protected").contains("<samp>P\n</samp>"))
        #expect(course.figure("fx-long").contains("<samp>long mode from a file\n</samp>"))
        #expect(course.figure("fx-long").contains("<code>hello64.asm</code>"))
        let user = course.figure("fx-user")
        #expect(user.contains("exercise-end is-ok\">exit 7</span>") && user.contains("<code>exit 7</code> <span class=\"is-ok\">"))
        #expect(course.figure("fx-c-long").contains("<samp>Long mode: 2 + 3 = 5\n</samp>"))
        #expect(course.figure("fx-c-user").contains("<samp>user mode, CPL 3\n</samp>"))
        #expect(course.figure("fx-c-exit").contains("exit 3</span>"))
        // Exit counts, and provenance naming this host and the machine version.
        #expect(real.contains("<tr><td><code>io-out</code></td><td class=\"num\">2</td></tr>"))
        #expect(real.contains("on \(HostKind.detect().description) · hypervisor v\(GuestMachine.version)"))
        #expect(!real.contains("badge-recorded"))
        // Search finds the source as shown: hidden lines (markers included) are not in it.
        let lesson = try #require(
            try SearchIndexReader(site: course.root.appendingPathComponent("public")).docs.first { $0.page == "Assembly in every mode" })
        #expect(["mov", "dx", "0x3f8", "com1", "lea", "rsi", "rel", "msg", "lodsb"].allSatisfy { lesson.words[$0] != nil })
        #expect(["hide", "0x7c00", "hc"].allSatisfy { lesson.words[$0] == nil })

        // The course's own blocks (read from content/ as it is now) end as their lessons expect and
        // reproduce the course's verified records: end, exit counts, output, trace and steps.
        let fixtureRecord = course.content.appendingPathComponent(String(CourseBlocks.lesson.dropLast(3)) + ".exercises.json")
        for (path, id) in CourseBlocks.taken {
            #expect(course.figure(id).contains("exercise-end is-ok\""), "\(id) did not end as \(path) expects")
            let ours = try #require(CourseBlocks.record(id, in: fixtureRecord), "\(id) was not recorded")
            let theirs = try #require(CourseBlocks.courseRecord(id, lesson: path), "content/\(path) has no record of \(id)")
            #expect(
                try CourseBlocks.canonical(ours) == CourseBlocks.canonical(theirs), "\(id): this run differs from content/\(path)'s record")
        }
        #expect(course.figure("isolation-triple-fault").contains("<span class=\"muted\">(KVM_EXIT_"))
    }

    /// The drift the copies had: every block taken from the course is the course's text today.
    @Test func courseBlocksAreReadFromTheCourse() throws {
        let course = FixtureCourse()
        let lesson = course.read("content/" + CourseBlocks.lesson)
        #expect(!lesson.contains(CourseBlocks.marker) && CourseBlocks.taken.count == 9)
        for (path, id) in CourseBlocks.taken {
            let block = try #require(CourseBlocks.block(id: id, in: Repo.root.appendingPathComponent("content/" + path)))
            #expect(lesson.contains(block), "\(id)")
        }
        #expect(
            course.read("content/02-from-the-course/equivalence.c")
                == (try String(contentsOf: Repo.root.appendingPathComponent("content/02-popek-goldberg/equivalence.c"), encoding: .utf8)))
    }

    @Test func guestOutputIsEscaped() async throws {
        let course = FixtureCourse()
        _ = try await course.build()
        let user = course.figure("fx-user")
        #expect(
            user.contains("<samp>&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;\n</samp>")
                || user.contains("<samp>&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;\n</samp>"))
        #expect(!course.page(with: "fx-user").contains("<script>alert"))
        #expect(!course.page(with: "fx-user").contains("<b>bold</b>"))
    }

    @Test func stepTableAndTraceMatchTheSourceLines() async throws {
        let course = FixtureCourse()
        _ = try await course.build()
        let real = course.figure("fx-real")
        // Shown source: 1 mov dx / 2 mov al,'R' / 3 out / 4 mov al,10 / 5 out / 6 hlt.
        let rows: [String] = real.components(separatedBy: "<tr data-line=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(rows == ["1", "2", "3", "4"])
        #expect(real.contains("<a href=\"#exercise-fx-real-L1\">1</a></td><td><code>mov dx, 0x3f8</code>"))
        #expect(real.contains("<a href=\"#exercise-fx-real-L3\">3</a></td><td><code>out dx, al</code>"))
        // Registers are named as the real-mode guest sees them: 16-bit.
        #expect(real.contains("<li><code>dx</code> <span class=\"before\">0x0</span> → <span class=\"after\">0x3f8</span></li>"))
        #expect(!real.contains("<code>rdx</code>") && !real.contains("<code>rax</code>"))
        #expect(
            real.contains("<span class=\"kind\">io-out 0x3f8 0x52 &#39;R&#39;</span>") || real.contains("io-out 0x3f8 0x52 &#x27;R&#x27;"))
        // Trace: the exits at shown lines 3, 5 and 6, each with its line's text.
        #expect(
            real.contains(
                "<a href=\"#exercise-fx-real-L3\">3</a><code class=\"src\" title=\"out dx, al           ; one exit\">out dx, al           ; one exit</code>"
            ))
        #expect(real.contains("<a href=\"#exercise-fx-real-L6\">6</a><code class=\"src\" title=\"hlt\">hlt</code>"))
        // Only MMIO writes are marked as reported after their instruction.
        #expect(!real.contains("rip-after"))
        // C: the trace points into the shown C source.
        let c = course.figure("fx-c-long")
        #expect(
            c.contains(
                "<a href=\"#exercise-fx-c-long-L2\">2</a><code class=\"src\" title=\"outb(0x3f8, &#39;L&#39;);\">outb(0x3f8, &#39;L&#39;);</code>"
            ))
        // printf's characters leave through the runtime's putchar.
        #expect(c.contains("<code class=\"src\" title=\"[putchar (runtime)]\">[putchar (runtime)]</code>"))
        // The course's own stepped exercise: one row per recorded step, on the recorded lines.
        let steps = course.figure("trap-steps-in-out")
        let lines: [String] = steps.components(separatedBy: "<tr data-line=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        let recorded = try #require(
            CourseBlocks.courseRecord("trap-steps-in-out", lesson: "03-trap-and-emulate/01-trap-and-emulate.md")?["steps"]
                as? [[String: Any]])
        #expect(!lines.isEmpty && lines == recorded.map { ($0["line"] as? Int).map(String.init) ?? "" })
    }

    @Test func cacheRerunsOnlyWhatChanged() async throws {
        let course = FixtureCourse()
        _ = try await course.build()
        let warm = try await course.build()
        #expect(warm.exercisesRun == 0 && warm.exercisesCached == Self.fixtureExercises)
        #expect(warm.description.contains("exercises: 0 run, \(Self.fixtureExercises) unchanged"))

        // Prose changes no key.
        course.edit("content/01-modes/01-assembly.md") {
            $0.replacingOccurrences(of: "Prose before the first exercise.", with: "Different prose, and [a link](02-c.md).")
        }
        #expect(try await course.build().exercisesRun == 0)
        // An include, a src= file and an inline body each rerun their exercise only. A comment in
        // an include builds the same image: the key and the records stay as they were.
        let records = course.records()
        course.edit("content/shared/putc.inc") { $0 + "; a comment\n" }
        var summary = try await course.build()
        #expect(summary.exercisesRun == 1 && summary.exercisesCached == Self.fixtureExercises - 1)
        #expect(summary.contentFilesWritten.isEmpty && course.records() == records)
        course.edit("content/01-modes/hello64.asm") { $0.replacingOccurrences(of: "long mode from a file", with: "long mode, edited") }
        // A different result than recorded fails, with a diff, unless promoted.
        do {
            _ = try await course.build()
            Issue.record("a changed result was accepted")
        } catch let failure as BuildFailure {
            #expect(
                failure.errors.count == 1 && failure.errors[0].message.contains("-| long mode from a file")
                    && failure.errors[0].message.contains("+| long mode, edited"))
            #expect(
                failure.errors[0].file == "\(course.content.path)/01-modes/01-assembly.md"
                    || failure.errors[0].file?.hasSuffix("01-modes/01-assembly.md") == true)
        }
        summary = try await course.build(promote: true)
        #expect(summary.exercisesRun == 1 && course.figure("fx-long").contains("long mode, edited"))
        #expect(course.read("content/01-modes/01-assembly.exercises.json").contains("\"long mode, edited\\n\""))
        #expect(try await course.build().exercisesRun == 0)
    }

    /// A `{{#include}}` inside an exercise block moves the lines after it; errors still name the
    /// line the author wrote, in the lesson or in the included file.
    @Test func errorsInsideABlockWithAnIncludeNameTheWrittenLine() async throws {
        let course = FixtureCourse()
        course.write(
            "content/01-modes/real-header.asm",
            "; [hide]\n; a header longer than one line\n; so the lines after the include move\nbits 16\norg 0x7c00\n; [show]\n")
        course.edit("content/01-modes/01-assembly.md") {
            $0.replacingOccurrences(
                of: "; [hide]\nbits 16\norg 0x7c00\n; [show]\n    mov dx, 0x3f8        ; COM1\n    mov al, 'R'",
                with: "{{#include real-header.asm}}\n    mov dx, 0x3f8        ; COM1\n    frobnicate al")
        }
        #expect(course.read("content/01-modes/01-assembly.md").contains("frobnicate al"))
        func errors() async -> [SiteError] {
            do {
                _ = try await course.build()
                Issue.record("the build succeeded")
                return []
            } catch let failure as BuildFailure {
                return failure.errors
            } catch {
                Issue.record("\(error)")
                return []
            }
        }
        let inLesson = await errors()
        #expect(
            inLesson.map { "\(URL(fileURLWithPath: $0.file ?? "").lastPathComponent):\($0.line ?? 0)" } == ["01-assembly.md:9"],
            "\(inLesson)")
        course.edit("content/01-modes/01-assembly.md") { $0.replacingOccurrences(of: "frobnicate al", with: "mov al, 'R'") }
        course.edit("content/01-modes/real-header.asm") { $0.replacingOccurrences(of: "org 0x7c00", with: "org 0x7c00\nfrobnicate ax") }
        let inHeader = await errors()
        #expect(
            inHeader.map { "\(URL(fileURLWithPath: $0.file ?? "").lastPathComponent):\($0.line ?? 0)" } == ["real-header.asm:6"],
            "\(inHeader)")
    }
}

import Common
import Foundation
import Testing

@testable import Site

/// A provider that returns hand-built views and remembers what it was asked.
final class StubProvider: ExerciseProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [[ExerciseBlock]] = []
    let make: @Sendable (ExerciseBlock) throws -> ExerciseView
    init(_ make: @escaping @Sendable (ExerciseBlock) throws -> ExerciseView) { self.make = make }
    var calls: [[ExerciseBlock]] { lock.withLock { _calls } }
    func results(for blocks: [ExerciseBlock]) async throws -> ExerciseResults {
        lock.withLock { _calls.append(blocks) }
        return ExerciseResults(views: try blocks.map(make))
    }
}

func sampleView(id: String, output: String, rerun: Bool = true, end: String = "halt") -> ExerciseView {
    ExerciseView(
        id: id, language: "asm", displaySource: "mov dx, 0x3f8\nmov al, 'H'\nout dx, al\nhlt\n",
        output: output, outputBytes: 5000, outputTruncated: true, end: end, endDetail: end == "halt" ? nil : "KVM_EXIT_SHUTDOWN",
        expected: "halt",
        exitCounts: [ExitCount(kind: "io-out", count: 3), ExitCount(kind: "hlt", count: 1)],
        trace: [
            TraceRow(
                index: 1, sourceLine: 3, sourceText: "out dx, al", kind: "io-out", target: "0x3f8", size: 1, value: "0x48 'H'",
                rip: "0x7c05"),
            TraceRow(index: 2, sourceLine: nil, sourceText: nil, kind: "hlt", target: nil, size: nil, value: nil, rip: "0x7c06")
        ],
        traceTruncated: false,
        steps: [
            StepRow(
                index: 1, sourceLine: 1, instruction: "mov dx, 0x3f8", rip: "0x7c00",
                changes: [RegisterChange(register: "rdx", before: "0x0", after: "0x3f8")], exitSummary: nil),
            StepRow(index: 2, sourceLine: 3, instruction: "out dx, al", rip: "0x7c05", changes: [], exitSummary: "io-out 0x3f8 <- 0x48")
        ],
        provenance: Provenance(
            recordedAt: "2026-01-02T03:04:05Z", host: "PVM (kvm_pvm)", hypervisorVersion: "hc-vm 1", rerunThisBuild: rerun))
}

@Suite struct ExerciseRenderingTests {
    let scratch = Scratch()

    func lesson(_ body: String) -> URL {
        scratch.write([
            "01-intro/01-first.md": "---\ntitle: First\n---\n\nText.\n\n" + body,
            "01-intro/02-second.md": "---\ntitle: Second\n---\n\n```c exercise id=second mode=long\nint main(void) { return 0; }\n```\n"
        ])
    }

    @Test func providerIsCalledOnceWithEveryBlockInCourseOrder() async throws {
        let content = lesson("```asm exercise id=hello mode=real expect=\"exit 0\" trace steps=4\nhlt\n```\n")
        let stub = StubProvider { sampleView(id: $0.option("id") ?? "?", output: "ok") }
        let summary = try await build(content, into: scratch, provider: stub)
        #expect(stub.calls.count == 1)
        let blocks = stub.calls[0]
        #expect(blocks.map { $0.option("id") } == ["hello", "second"])
        #expect(blocks[0].language == "asm")
        #expect(blocks[0].options.map(\.key) == ["id", "mode", "expect", "trace", "steps"])
        #expect(blocks[0].option("expect") == "exit 0")
        #expect(blocks[0].option("trace") == "")
        #expect(blocks[0].body == "hlt\n")
        #expect(blocks[0].file.lastPathComponent == "01-first.md")
        #expect(blocks[0].line == 7) // front matter (lines 1-3), blank, "Text.", blank: the fence is line 7
        #expect(blocks[0].contentRoot.standardizedFileURL == content.standardizedFileURL)
        #expect(blocks[1].language == "c" && blocks[1].line == 5)
        #expect(summary.exercises == 2 && summary.exercisesRun == 2 && summary.exercisesRecorded == 0)
    }

    @Test func viewIsRenderedEscapedWithTablesAndProvenance() async throws {
        let content = lesson("```asm exercise id=hello mode=real trace steps=2\nhlt\n```\n\n[see it](#exercise-hello)\n")
        let stub = StubProvider { block in
            sampleView(id: block.option("id")!, output: "Hi <script>alert('x')</script> & bye\n", rerun: block.option("id") == "hello")
        }
        let summary = try await build(content, into: scratch, provider: stub)
        #expect(summary.exercisesRun == 1 && summary.exercisesRecorded == 1)
        let page = scratch.read("out/intro/first.html")
        let figure = captures("(<figure class=\"exercise\" id=\"exercise-hello\".*?</figure>)", in: page).first ?? ""
        #expect(!figure.isEmpty)
        // Guest output is escaped, never markup.
        #expect(
            figure.contains(
                "<pre class=\"guest-output\" tabindex=\"0\"><samp>Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; bye\n</samp></pre>"
            ))
        #expect(!page.contains("<script>alert"))
        #expect(figure.contains("Output truncated for display; the guest wrote 5000 bytes."))
        // Source: highlighted, numbered lines with anchors.
        #expect(
            figure.contains(
                "<span class=\"line\" id=\"exercise-hello-L3\" data-line=\"3\"><span class=\"k\">out</span> <span class=\"nb\">dx</span>, <span class=\"nb\">al</span></span>"
            ))
        // End vs expected.
        #expect(figure.contains("<span class=\"exercise-end is-ok\">halt</span>"))
        #expect(figure.contains("<dt>Expected</dt><dd><code>halt</code> <span class=\"is-ok\">✓ as expected</span>"))
        Self.expectTables(in: figure)
        // Provenance; this one was rerun, so no "recorded" marker.
        #expect(
            figure.contains(
                "Recorded <time datetime=\"2026-01-02T03:04:05Z\">2026-01-02T03:04:05Z</time> on PVM (kvm_pvm) · hypervisor hc-vm 1"))
        #expect(!figure.contains("badge-recorded"))
        // The other exercise came from the record and says so.
        let second = scratch.read("out/intro/second.html")
        #expect(second.contains("<figure class=\"exercise is-recorded\" id=\"exercise-second\""))
        #expect(
            second.contains(
                "<span class=\"badge badge-recorded\" title=\"This build could not run guests, so it shows the verified record.\">Recorded, not rerun in this build</span>"
            ))
        // The same HTML appears in print.html.
        #expect(scratch.read("out/print.html").contains("id=\"exercise-hello\""))
        #expect(page.contains("<a href=\"#exercise-hello\">see it</a>"))
    }

    /// The exit counts, the trace timeline and the step-through table of the sample view.
    static func expectTables(in figure: String) {
        // Exit counts.
        #expect(figure.contains("<tr><td><code>io-out</code></td><td class=\"num\">3</td></tr>"))
        #expect(figure.contains("<tfoot><tr><th scope=\"row\">Total</th><td class=\"num\">4</td></tr></tfoot>"))
        // Trace timeline: source line linked to the source, value escaped.
        #expect(
            figure.contains(
                "<tr><td class=\"num\">1</td><td class=\"trace-line\"><a href=\"#exercise-hello-L3\">3</a><code class=\"src\" title=\"out dx, al\">out dx, al</code></td><td><span class=\"kind kind-io-out\">io-out</span></td><td><code>0x3f8</code></td><td class=\"num\">1</td><td><code>0x48 &#39;H&#39;</code></td><td><code>0x7c05</code></td></tr>"
            ))
        #expect(
            figure.contains(
                "<tr><td class=\"num\">2</td><td class=\"trace-line\"></td><td><span class=\"kind kind-hlt\">hlt</span></td><td></td><td class=\"num\"></td><td></td><td><code>0x7c06</code></td></tr>"
            ))
        // Short tables show in full: no inner scroll box.
        #expect(figure.contains("<div class=\"table-wrap framed\" tabindex=\"0\" role=\"region\" aria-label=\"VM-exit timeline: hello\">"))
        #expect(!figure.contains("is-long"))
        // Step-through table.
        #expect(
            figure.contains(
                "<tr data-line=\"1\"><td class=\"num\">1</td><td><a href=\"#exercise-hello-L1\">1</a></td><td><code>mov dx, 0x3f8</code> <span class=\"muted rip\">0x7c00</span></td><td><ul class=\"reg-changes\"><li><code>rdx</code> <span class=\"before\">0x0</span> → <span class=\"after\">0x3f8</span></li></ul></td><td></td></tr>"
            ))
        #expect(figure.contains("<td><span class=\"kind\">io-out 0x3f8 &lt;- 0x48</span></td>"))
    }

    @Test func tablesLongerThanSixteenRowsScrollInTheirBox() async throws {
        let content = lesson("```asm exercise id=hello mode=real trace steps=20\nhlt\n```\n")
        let stub = StubProvider { block in
            var view = sampleView(id: block.option("id")!, output: "")
            view.trace = (0..<17).map {
                TraceRow(
                    index: $0, sourceLine: 3, sourceText: "out dx, al", kind: "io-out", target: "0x3f8", size: 1, value: "0x41",
                    rip: "0x7c05")
            }
            view.steps = (0..<16).map {
                StepRow(index: $0, sourceLine: 1, instruction: "nop", rip: "0x7c00", changes: [], exitSummary: nil)
            }
            return view
        }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        // 17 trace rows: a scroll box; 16 step rows: all shown.
        #expect(
            page.contains("<div class=\"table-wrap framed is-long\" tabindex=\"0\" role=\"region\" aria-label=\"VM-exit timeline: hello\">")
        )
        #expect(page.contains("<div class=\"table-wrap framed\" tabindex=\"0\" role=\"region\" aria-label=\"Step through: hello\">"))
    }

    @Test func anMMIOWriteRowSaysItsRIPIsPastTheInstruction() async throws {
        let content = lesson("```asm exercise id=hello mode=protected trace\nhlt\n```\n")
        let stub = StubProvider { block in
            var view = sampleView(id: block.option("id")!, output: "")
            if block.option("id") == "hello" {
                view.trace = [
                    TraceRow(
                        index: 0, sourceLine: 1, sourceText: "mov dword [edi], 1", kind: "mmio-write", target: "0x40000000",
                        size: 4, value: "0x1", rip: "0x100006", ripAfterInstruction: true)
                ]
            }
            return view
        }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        #expect(
            page.contains(
                "<td><code>0x100006</code> <abbr class=\"rip-after\" title=\"The address just after the instruction: KVM completes an MMIO write before it exits.\">after</abbr></td></tr>"
            ))
        // Rows at their instruction (the other page's sample trace) carry no marker.
        let second = scratch.read("out/intro/second.html")
        #expect(second.contains("<code>0x7c05</code></td></tr>") && !second.contains("rip-after"))
    }

    /// An exercise tied to a prediction: its result (and its end, in the title) stays closed until
    /// the reader opens it; the print page shows it open, after the question's open answer.
    @Test func aPredictionHidesTheResultUntilOpened() async throws {
        let content = lesson(
            "> [!PREDICT]\n> What will it print?\n>\n> > H, then it halts.\n\n```asm exercise id=hello predict\nhlt\n```\n")
        let stub = StubProvider { sampleView(id: $0.option("id")!, output: "H") }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        #expect(page.contains("<details class=\"predict-answer\"><summary>Show the answer</summary>"))
        #expect(
            page.contains(
                "<details class=\"exercise-reveal\"><summary>Made your prediction? Show the result</summary>\n  <div class=\"exercise-body\">"
            ))
        #expect(!page.contains("<span class=\"exercise-end"))
        let print = scratch.read("out/print.html")
        #expect(print.contains("<details class=\"predict-answer\" open>") && print.contains("<details class=\"exercise-reveal\" open>"))
        #expect(!print.contains("<details class=\"exercise-reveal\">"))
    }

    @Test func measuredTimesAreLabelledAsVarying() async throws {
        let content = lesson("```asm exercise id=hello measure=9\nhlt\n```\n")
        let stub = StubProvider { block in
            var view = sampleView(id: block.option("id")!, output: "H")
            view.measurement = MeasuredTimes(
                runs: 9, medianSeconds: 0.00123, minSeconds: 0.0011, maxSeconds: 0.0152, perExitSeconds: 0.0000021,
                host: "PVM (kvm_pvm)", measuredAt: "2026-12-07T12:00:00Z")
            return view
        }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        #expect(
            page.contains(
                "Run time: median <strong>1.23\u{00A0}ms</strong> (1.10\u{00A0}ms – 15.2\u{00A0}ms) over 9 extra runs; <strong>2.10\u{00A0}µs</strong> per VM exit (the whole run divided by its exits, creating the VM included)."
            ), "\(page)")
        #expect(page.contains("on the build machine: PVM (kvm_pvm)"))
        #expect(page.contains("These numbers vary from run to run and machine to machine"))
    }

    @Test func unexpectedEndIsMarked() async throws {
        let content = lesson("```asm exercise id=hello\nhlt\n```\n")
        let stub = StubProvider { sampleView(id: $0.option("id")!, output: "", end: "crash") }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        #expect(page.contains("<span class=\"exercise-end is-bad\">crash</span>"))
        #expect(page.contains("<code>crash</code> <span class=\"muted\">(KVM_EXIT_SHUTDOWN)</span>"))
        #expect(page.contains("✗ not what the lesson expects"))
        #expect(page.contains("The guest printed nothing."))
    }

    @Test func providerErrorsFailTheBuildAtTheLessonLine() async throws {
        let content = lesson("```asm exercise id=hello mode=bogus\nhlt\n```\n")
        let stub = StubProvider { block in
            throw BuildFailure(
                SiteError(file: block.file, line: block.line, "unknown mode 'bogus' (expected real, protected, long or user)"))
        }
        let errors = await buildErrors(content, into: scratch, provider: stub)
        #expect(errors.count == 1)
        #expect(errors.first?.file?.hasSuffix("01-intro/01-first.md") == true)
        #expect(errors.first?.line == 7)
        #expect(errors.first?.message.contains("unknown mode 'bogus'") == true)
        #expect(!scratch.exists("out"))
    }

    @Test func blocksFromIncludesReportTheLessonLine() async throws {
        let content = scratch.write([
            "01-intro/01-first.md": "---\ntitle: First\n---\n\n{{#include _exercise.md}}\n",
            "01-intro/_exercise.md": "Intro.\n\n```asm exercise id=inc\nhlt\n```\n"
        ])
        let stub = StubProvider { sampleView(id: $0.option("id")!, output: "") }
        _ = try await build(content, into: scratch, provider: stub)
        let block = stub.calls[0][0]
        #expect(block.file.lastPathComponent == "_exercise.md")
        #expect(block.line == 3)
    }

    @Test func infoStringParsing() {
        #expect(
            ExerciseInfo.parse("asm exercise id=a mode=real")!.options == [
                ExerciseBlock.Option(key: "id", value: "a"), ExerciseBlock.Option(key: "mode", value: "real")
            ])
        #expect(
            ExerciseInfo.parse("c exercise expect=\"exit 3\" trace")!.options == [
                ExerciseBlock.Option(key: "expect", value: "exit 3"), ExerciseBlock.Option(key: "trace", value: "")
            ])
        #expect(ExerciseInfo.parse("asm") == nil)
        #expect(ExerciseInfo.parse("asm id=exercise") == nil)
        #expect(ExerciseInfo.parse("asm exercise")!.language == "asm")
    }
}

import Common
import Foundation
import Testing

@testable import Site

/// The pc machine's parts of a card: the dirty log as a chart and a table, KVM's counters, and the
/// machine in the provenance line.
@Suite struct PCMachineRenderingTests {
    let scratch = Scratch()

    func page(_ edit: @escaping @Sendable (inout ExerciseView) -> Void) async throws -> String {
        let content = scratch.write([
            "01-intro/01-first.md": "---\ntitle: First\n---\n\n```asm exercise id=dirty machine=pc cpus=2 dirty-log\nhlt\n```\n"
        ])
        let stub = StubProvider { block in
            var view = sampleView(id: block.option("id")!, output: "ok\n")
            edit(&view)
            return view
        }
        _ = try await build(content, into: scratch, provider: stub)
        let page = scratch.read("out/intro/first.html")
        return captures("(<figure class=\"exercise\" id=\"exercise-dirty\".*?</figure>)", in: page).first ?? ""
    }

    @Test func checkpointsAreAChartAndATable() async throws {
        let figure = try await page { view in
            view.machine = "pc, 2 vCPUs"
            view.checkpoints = [
                CheckpointRow(number: 1, cpu: 0, pages: 0, ranges: []),
                CheckpointRow(number: 2, cpu: 1, pages: 3, ranges: ["0x200000-0x202000", "0x300000-0x301000"]),
                CheckpointRow(number: 3, cpu: 0, pages: 1, ranges: ["0x300000-0x301000"])
            ]
        }
        #expect(!figure.isEmpty)
        // The chart: inline SVG named by its title and a description that lists every bar.
        let svg = try #require(captures("(<svg class=\"dirty-chart\".*?</svg>)", in: figure).first)
        #expect(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"exercise-dirty-dirty-title exercise-dirty-dirty-desc\""))
        #expect(svg.contains("<title id=\"exercise-dirty-dirty-title\">Pages written between checkpoints</title>"))
        #expect(svg.contains("<desc id=\"exercise-dirty-dirty-desc\">#1: 0, #2: 3, #3: 1</desc>"))
        // One bar per checkpoint, the tallest filling the plot; an empty checkpoint has no height.
        #expect(captures("(<rect )", in: svg).count == 3)
        #expect(svg.contains("height=\"0\"><title>#1: 0 pages</title>"))
        #expect(svg.contains("y=\"22\" width=\"89.6\" height=\"110\"><title>#2: 3 pages</title>"))
        #expect(!svg.contains("<script"))
        // The table, with the ranges (a line break offered after the dash, for phones) and a total.
        #expect(
            figure.contains(
                "<tr><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">3</td><td><ul class=\"dirty-ranges\"><li><code>0x200000-<wbr>0x202000</code></li><li><code>0x300000-<wbr>0x301000</code></li></ul></td></tr>"
            ))
        #expect(
            figure.contains(
                "<tr><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td><td><span class=\"muted\">none</span></td></tr>"
            ))
        #expect(figure.contains("<tfoot><tr><th scope=\"row\" colspan=\"2\">Total</th><td class=\"num\">4</td><td></td></tr></tfoot>"))
        // The machine in the provenance line.
        #expect(figure.contains("· hypervisor hc-vm 1 · machine pc, 2 vCPUs"))
        #expect(!figure.contains("kvm-stats"))
    }

    @Test func kvmCountersAreATableSaidToVary() async throws {
        let figure = try await page { view in
            view.kvmStats = KVMStatsTable(
                cpus: [0, 1], rows: [.init(name: "exits", values: [12, 3]), .init(name: "halt_exits", values: [1, 0])])
        }
        #expect(figure.contains("<details class=\"exercise-kvm-stats\">"))
        #expect(figure.contains("They vary between hosts and between runs"))
        #expect(
            figure.contains(
                "<thead><tr><th scope=\"col\">Counter</th><th scope=\"col\" class=\"num\">vCPU 0</th><th scope=\"col\" class=\"num\">vCPU 1</th></tr></thead>"
            ))
        #expect(figure.contains("<tr><td><code>exits</code></td><td class=\"num\">12</td><td class=\"num\">3</td></tr>"))
        // No checkpoints, no chart; the lesson machine names no machine.
        #expect(!figure.contains("<svg") && !figure.contains(" · machine "))
    }

    /// A dirty log with no checkpoint says so, rather than showing an empty table and no chart.
    @Test func aLogWithoutCheckpointsSaysSo() async throws {
        let figure = try await page { view in view.checkpoints = [] }
        #expect(figure.contains("<details class=\"exercise-dirty\" open>"))
        #expect(figure.contains("No checkpoints: the guest never wrote a checkpoint number to port 0x508."))
        #expect(!figure.contains("dirty-table") && !figure.contains("<svg"))
    }

    @Test func aRangeWithoutADashIsShownWhole() {
        #expect(ExerciseRenderer.rangeParts("0x1000-0x2000") == ["start": "0x1000", "end": "0x2000"])
        #expect(ExerciseRenderer.rangeParts("odd") == ["start": "odd"])
    }

    @Test func aBareMachineVersionReadsAsAVersionAndANamedOneStaysAsItIs() {
        #expect(ExerciseRenderer.versionLabel("2") == "v2")
        #expect(ExerciseRenderer.versionLabel("pc-1") == "pc-1")
        #expect(ExerciseRenderer.versionLabel("") == "")
    }

    @Test func chartLabelsAreEscapedAndLongLogsThinTheirLabels() {
        let bars = (0..<40).map { DirtyPageChart.Bar(label: "<b>\($0)", pages: $0) }
        let svg = DirtyPageChart.svg(bars, id: "x\"y", title: "T & t", description: "d")!
        #expect(!svg.contains("<b>") && svg.contains("&lt;b&gt;0") && svg.contains("x&quot;y-title"))
        #expect(svg.contains("<title id=\"x&quot;y-title\">T &amp; t</title>"))
        // 40 bars, a label on every third: 14 value labels and 14 checkpoint labels.
        #expect(captures("(<text class=\"label\")", in: svg).count == 14)
        #expect(DirtyPageChart.svg([], id: "x", title: "t", description: "d") == nil)
        let many = (0..<100).map { DirtyPageChart.Bar(label: "\($0)", pages: 1) }
        #expect(captures("(<rect )", in: DirtyPageChart.svg(many, id: "m", title: "t", description: "d")!).count == DirtyPageChart.maxBars)
    }
}

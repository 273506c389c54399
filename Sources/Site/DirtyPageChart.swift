import Markdown

/// The dirty log's checkpoints as a small bar chart: one bar per checkpoint, its height the pages
/// written since the previous one. Inline SVG made at build time, so it needs no script; colours
/// come from the stylesheet (`.dirty-chart`), so dark mode applies; it scales to the card's width.
/// Every label is escaped: checkpoint numbers are the guest's own values.
enum DirtyPageChart {
    struct Bar: Equatable {
        var label: String
        var pages: Int
    }

    /// Bars drawn at most; a guest may take many checkpoints, and the table lists every one.
    static let maxBars = 64

    static let width = 400.0, height = 160.0
    static let top = 22.0, bottom = 28.0, left = 8.0, right = 8.0

    /// The chart, or nil when there is nothing to draw.
    static func svg(_ bars: [Bar], id: String, title: String, description: String) -> String? {
        guard !bars.isEmpty else { return nil }
        let shown = Array(bars.prefix(maxBars))
        let most = max(1, shown.map(\.pages).max() ?? 1)
        let plotHeight = height - top - bottom
        let slot = (width - left - right) / Double(shown.count)
        let barWidth = max(2, slot * 0.7)
        let labelEvery = Int((Double(shown.count) / 16).rounded(.up))
        let titleID = HTMLEscaping.escape(id + "-title"), descID = HTMLEscaping.escape(id + "-desc")
        var svg =
            "<svg class=\"dirty-chart\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" "
            + "preserveAspectRatio=\"xMidYMid meet\" aria-labelledby=\"\(titleID) \(descID)\">"
        svg += "<title id=\"\(titleID)\">\(HTMLEscaping.escape(title))</title>"
        svg += "<desc id=\"\(descID)\">\(HTMLEscaping.escape(description))</desc>"
        let baseline = top + plotHeight
        svg +=
            "<line class=\"axis\" x1=\"\(number(left))\" y1=\"\(number(baseline))\" x2=\"\(number(width - right))\" y2=\"\(number(baseline))\"/>"
        for (index, bar) in shown.enumerated() {
            let barHeight = bar.pages == 0 ? 0 : max(1.5, plotHeight * Double(bar.pages) / Double(most))
            let x = left + slot * Double(index) + (slot - barWidth) / 2
            let center = x + barWidth / 2
            svg +=
                "<rect x=\"\(number(x))\" y=\"\(number(baseline - barHeight))\" width=\"\(number(barWidth))\" "
                + "height=\"\(number(barHeight))\"><title>\(HTMLEscaping.escape("\(bar.label): \(bar.pages) \(bar.pages == 1 ? "page" : "pages")"))</title></rect>"
            guard index % labelEvery == 0 else { continue }
            svg += "<text class=\"value\" x=\"\(number(center))\" y=\"\(number(baseline - barHeight - 5))\">\(bar.pages)</text>"
            svg += "<text class=\"label\" x=\"\(number(center))\" y=\"\(number(baseline + 17))\">\(HTMLEscaping.escape(bar.label))</text>"
        }
        return svg + "</svg>"
    }

    /// Coordinates with at most one decimal: stable output, short files.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

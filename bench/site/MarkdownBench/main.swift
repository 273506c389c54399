// Markdown-to-HTML throughput of the Markdown module, in process, on one large file:
//   .build/release/MarkdownBench FILE [ITERATIONS] [--plain-code] [--libcmark-render]
// Prints one line: bytes, iterations, median seconds, MB/s. bench/site/run.py compares it with the
// cmark-gfm CLI on the same file in the same run. `--plain-code` renders code blocks as the CLI does
// (escaped, no syntax highlighting): the like-for-like conversion; without it, the page pipeline.
// `--libcmark-render` renders with libcmark-gfm's HTML renderer instead of ours (same bytes).
import Foundation
import Markdown

let arguments = CommandLine.arguments
guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: MarkdownBench FILE [ITERATIONS]\n".utf8))
    exit(2)
}
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 7 : 7
let plainCode = arguments.contains("--plain-code")
var options = MarkdownOptions()
options.libcmarkRenderer = arguments.contains("--libcmark-render")
func plain(_ block: CodeBlock) -> CodeBlockReplacement? {
    let word = block.infoWord
    let cls = word.isEmpty ? "" : " class=\"language-\(HTMLEscaping.escape(word))\""
    return CodeBlockReplacement(html: "<pre><code\(cls)>\(HTMLEscaping.escape(block.literal))</code></pre>\n", searchText: block.literal)
}
let text = String(decoding: data, as: UTF8.self)
let clock = ContinuousClock()
var samples: [Double] = []
var cpuSamples: [Double] = []
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
var outputBytes = 0
for _ in 0..<iterations {
    let start = clock.now
    let cpuStart = cpuSeconds()
    // The whole pipeline a page gets: parse, heading ids, admonitions, highlighting, HTML.
    let html = try
        (plainCode ? MarkdownDocument(text, options: options, replacingCodeBlock: plain) : MarkdownDocument(text, options: options)).html()
    let elapsed = clock.now - start
    cpuSamples.append(cpuSeconds() - cpuStart)
    outputBytes = html.utf8.count
    samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
samples.sort()
cpuSamples.sort()
let median = samples[samples.count / 2]
let cpuMedian = cpuSamples[cpuSamples.count / 2]
print(
    String(
        format: "bytes=%d iterations=%d median_s=%.4f best_s=%.4f mb_per_s=%.1f cpu_s=%.4f html_bytes=%d",
        data.count, iterations, median, samples[0], Double(data.count) / median / 1e6, cpuMedian, outputBytes))

import Common
import Foundation
import Testing

@testable import Hypervisor

/// 1,000 images of random bytes per mode, run concurrently with short limits: every run must end with
/// one of the documented reasons, on time, and none may take the host process down.
/// (In `TimingSensitiveTests`, so no timing test runs beside these 4,000 guests.)
extension TimingSensitiveTests {
    @Suite struct RandomImageTests {
        static let imagesPerMode = 1000
        static let timeout = Duration.milliseconds(20)

        /// SplitMix64: fixed seeds make a failing image reproducible.
        struct SplitMix: RandomNumberGenerator {
            var state: UInt64
            mutating func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
        }

        /// One batch: a machine and a mode. The lesson machine runs `imagesPerMode` images in every
        /// mode; the pc machine, two vCPUs, a fifth as many in the modes it boots: there random code
        /// may also program the PIT, the PICs and the local APIC (even start the other vCPU), and
        /// halts inside KVM.
        struct Batch: Sendable, CustomTestStringConvertible {
            var machine: MachineProfile
            var mode: GuestMode
            var testDescription: String { machine == .pc ? "pc \(mode)" : "\(mode)" }
            var images: Int { machine == .pc ? imagesPerMode / 5 : imagesPerMode }
            /// Fixed per batch (the pc batches apart from the lesson ones), one image per low bits.
            var seed: UInt64 {
                (machine == .pc ? UInt64(0x9C) << 40 : 0) | UInt64(GuestMode.allCases.firstIndex(of: mode)!) << 32
            }
            var config: MachineConfig {
                machine == .pc
                    ? MachineConfig(
                        mode: mode, memoryMiB: 2, timeout: timeout, outputLimit: 256, exitLimit: 2000, machine: .pc, cpus: 2)
                    : MachineConfig(mode: mode, memoryMiB: 2, timeout: timeout, outputLimit: 256, exitLimit: 2000)
            }
        }

        static let batches =
            GuestMode.allCases.map { Batch(machine: .lesson, mode: $0) }
            + [GuestMode.real, .protected, .long].map { Batch(machine: .pc, mode: $0) }

        /// The guests run on a thread of their own, not on Swift concurrency's cooperative pool: a
        /// minute of synchronous runs on one of its two threads here starved the async server tests.
        @Test(.timeLimit(.minutes(3)), arguments: batches)
        func randomBytesAlwaysEndWithADocumentedReason(batch: Batch) async throws {
            let kvm = try TestKVM.system ?? TestKVM.kvm()
            let config = batch.config, seed = batch.seed
            let outcomes = Results()
            await onItsOwnThread {
                DispatchQueue.concurrentPerform(iterations: batch.images) { i in
                    var random = SplitMix(state: seed | UInt64(i))
                    let image = (0..<Int.random(in: 1...2048, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                    outcomes.add(i, Result { try kvm.run(image, config: config) })
                }
            }
            var reasons: [String: Int] = [:]
            // How slow the machine is right now: the slowest run that did not wait for its timeout.
            let busy = outcomes.all.compactMap { try? $0.1.get() }.filter { $0.end != .timeout }.map(\.elapsed).max() ?? .zero
            for (i, outcome) in outcomes.all {
                guard case .success(let result) = outcome else {
                    Issue.record("image \(i) (seed \(seed | UInt64(i))) threw, a host-side error: \(outcome)")
                    continue
                }
                reasons[result.end.name, default: 0] += 1
                if let problem = Self.inconsistency(result, config: config) {
                    Issue.record("image \(i) (seed \(seed | UInt64(i))): \(problem)")
                }
                #expect(
                    result.elapsed < Self.timeout + .seconds(1) + busy, "image \(i) took \(result.elapsed); the slowest other run \(busy)")
            }
            // Random code halts, faults, loops, and pokes ports: more than one way of ending must show up.
            #expect(reasons.count >= 2, "\(batch.testDescription): \(reasons)")
            print("random \(batch.testDescription): \(reasons.sorted { $0.key < $1.key })")
        }

        /// Why a result's end does not agree with the rest of it, or nil. Each end has a witness: the
        /// exit that caused it is counted, a limit is reached exactly, a timeout took its time.
        static func inconsistency(_ result: RunResult, config: MachineConfig) -> String? {
            let counts = result.exitCounts
            if result.output.count > config.outputLimit { return "\(result.output.count) bytes of output, over the limit" }
            if counts.total > config.exitLimit { return "\(counts.total) exits, over the limit" }
            switch result.end {
            case .halt:
                // On the pc machine KVM keeps `hlt` in the kernel: the probes saw every vCPU halted.
                return counts[.hlt] >= 1 || config.machine == .pc ? nil : "ended as halt without a hlt exit"
            case .exited:
                return counts[.ioOut] >= 1 ? nil : "ended through the exit port without a port write"
            case .timeout:
                if counts[.interrupted] < 1 { return "timed out without being interrupted" }
                return result.elapsed >= config.timeout ? nil : "timed out after \(result.elapsed), before \(config.timeout)"
            case .outputLimit:
                return result.output.count == config.outputLimit ? nil : "output-limit with \(result.output.count) bytes"
            case .exitLimit:
                return counts.total == config.exitLimit ? nil : "exit-limit after \(counts.total) exits"
            case .crash(let crash):
                if crash.message.isEmpty { return "a crash without a message" }
                guard crash.kind != .runFailed else { return "a host-side failure: \(crash.kind): \(crash.message)" }
                // "other" with code 0 is a malformed port access, counted as the port exit it was.
                return counts[crash.kind.endingExit] >= 1 || (crash.kind == .other && crash.code == 0)
                    ? nil : "a \(crash.kind) crash that no exit caused"
            }
        }
    }
}

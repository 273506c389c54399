import Foundation
import Testing
@testable import Hypervisor

/// 1,000 images of random bytes per mode, run concurrently with short limits: every run must end with
/// one of the documented reasons, on time, and none may take the host process down.
@Suite(.enabled(if: TestKVM.deviceExists, "skipped: /dev/kvm is absent on this machine"))
struct RandomImageTests {
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

    @Test(.timeLimit(.minutes(3)), arguments: GuestMode.allCases)
    func randomBytesAlwaysEndWithADocumentedReason(mode: GuestMode) throws {
        let kvm = try TestKVM.system ?? TestKVM.kvm()
        let config = MachineConfig(mode: mode, memoryMiB: 2, timeout: Self.timeout, outputLimit: 256, exitLimit: 2000)
        let outcomes = Results()
        let seed = UInt64(GuestMode.allCases.firstIndex(of: mode)!) << 32
        DispatchQueue.concurrentPerform(iterations: Self.imagesPerMode) { i in
            var random = SplitMix(state: seed | UInt64(i))
            let image = (0..<Int.random(in: 1...2048, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            outcomes.add(i, Result { try kvm.run(image, config: config) })
        }
        let all = outcomes.all
        #expect(all.count == Self.imagesPerMode)
        var reasons: [String: Int] = [:]
        for (i, outcome) in all {
            guard case .success(let result) = outcome else {
                Issue.record("image \(i) (seed \(seed | UInt64(i))) threw: \(outcome)")
                continue
            }
            reasons[result.end.name, default: 0] += 1
            #expect(["halt", "exit", "crash", "timeout", "output-limit", "exit-limit"].contains(result.end.name))
            #expect(result.elapsed < Self.timeout + .seconds(1), "image \(i) took \(result.elapsed)")
            #expect(result.output.count <= config.outputLimit)
            #expect(result.exitCounts.total <= config.exitLimit)
            if let crash = result.end.crash { #expect(!crash.message.isEmpty) }
        }
        // Random code halts, faults, loops, and pokes ports: more than one way of ending must show up.
        #expect(reasons.count >= 2, "\(mode): \(reasons)")
        print("random \(mode): \(reasons.sorted { $0.key < $1.key })")
    }
}

#!/usr/bin/env bash
# Hypervisor benchmark: the same hello guest on a fresh VM per run, in the Swift hypervisor
# (`hypercourse run --repeat N`, release build) and in the C reference (kvm_hello.c, built here with
# the toolchain's clang), alternating batches so both see the same machine noise. Each batch reports
# the median of its per-run times (KVM_CREATE_VM to the last munmap, measured inside the process);
# the script reports the median of the batch medians for each side, their ratio Swift / C, and the
# median (with quartiles) of the ratios of back-to-back batch pairs, which is steadier on a noisy host.
#
# Mode `pc` is the protected-mode guest on the pc machine: both sides also create the in-kernel
# interrupt controllers and PIT (`--machine pc`, kvm_hello's `--pc`). Its guest ends at the exit port:
# there KVM keeps `hlt` in the kernel, which the C harness would wait on until its timeout.
#
#   bench/hypervisor/run.sh [ROUNDS] [RUNS-PER-BATCH] [MODES...]      defaults: 15 200 real protected long user pc
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-15}
runs=${2:-200}
shift $(( $# > 2 ? 2 : $# )) || true
modes=("$@")
[[ ${#modes[@]} -gt 0 ]] || modes=(real protected long user pc)

out=bench/out/hypervisor
mkdir -p "$out"
swift_bin=$(command -v swift)
toolchain=$(dirname "$(readlink -f "$swift_bin")")
clang="$toolchain/clang"
[[ -x $clang ]] || clang=$(command -v clang || command -v gcc)

echo "==> building hypercourse (release) and the C reference with $clang" >&2
swift build -c release --product hypercourse >&2
tool=.build/release/hypercourse
"$clang" -O2 -Wall -o "$out/kvm_hello" bench/hypervisor/kvm_hello.c -lpthread

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '| mode | C median (µs) | Swift median (µs) | Swift / C | paired ratio, median [q1, q3] |\n|---|---:|---:|---:|---|\n'
for mode in "${modes[@]}"; do
    c_args=(--mode "$mode") swift_args=(--mode "$mode") ending=()
    case $mode in real) def=REAL ;; protected) def=PROT ;; long) def=LONG ;; user) def=USER ;;
        pc) def=PROT ending=(-DEND_AT_PORT) c_args=(--mode protected --pc) swift_args=(--mode protected --machine pc) ;;
        *) echo "bad mode $mode" >&2; exit 2 ;; esac
    image="$out/hello-$mode.bin"
    nasm -f bin "-D$def" "${ending[@]}" -o "$image" bench/hypervisor/hello.asm
    # Same guest, same exits: both must print the same bytes.
    if ! cmp -s <("$out/kvm_hello" "${c_args[@]}" "$image" 2>/dev/null) <("$tool" run "${swift_args[@]}" "$image" 2>/dev/null); then
        echo "the C and Swift runs of $mode differ in output" >&2
        exit 1
    fi
    : > "$out/c-$mode.txt"
    : > "$out/swift-$mode.txt"
    for ((round = 0; round < rounds; round++)); do
        "$out/kvm_hello" "${c_args[@]}" --repeat "$runs" --quiet "$image" 2>&1 >/dev/null |
            sed -n 's/.*median_us=\([0-9.]*\).*/\1/p' >> "$out/c-$mode.txt"
        "$tool" run "${swift_args[@]}" --repeat "$runs" --json "$image" 2>/dev/null |
            sed -n 's/.*"medianMicros" : \([0-9.]*\).*/\1/p' >> "$out/swift-$mode.txt"
    done
    c=$(median < "$out/c-$mode.txt")
    s=$(median < "$out/swift-$mode.txt")
    paired=$(paste "$out/c-$mode.txt" "$out/swift-$mode.txt" | awk '{ print $2 / $1 }' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.3f [%.3f, %.3f]", v[int((NR + 1) / 2)], v[int(NR / 4) + 1], v[int(3 * NR / 4)] }')
    printf '| %s | %.1f | %.1f | %.3f | %s |\n' "$mode" "$c" "$s" "$(awk -v s="$s" -v c="$c" 'BEGIN { print s / c }')" "$paired"
done
echo "(median of $rounds alternating batches of $runs runs each; $(nproc) cores; $(uname -r); host: $(
    [[ -d /sys/module/kvm_pvm ]] && echo PVM || { [[ -d /sys/module/kvm_intel ]] && echo VT-x; } || echo other))"

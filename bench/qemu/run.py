#!/usr/bin/env python3
"""Our pc machine against QEMU on the same Multiboot kernels, in one run.

Builds the test kernels of Tests/HypervisorTests/Kernels (nasm, the Swift toolchain's clang and
ld.lld), then boots each one alternately in QEMU (`qemu-system-x86_64 -accel kvm -kernel ...`, with an
isa-debug-exit device at 0xF4, serial on stdio) and in `hypercourse run` (release build). For every
kernel it checks that both printed the same serial output and ended with the same exit status
(QEMU's isa-debug-exit reports (status << 1) | 1), and reports the median wall time from process
start to exit for each side and their ratio QEMU / ours.

    bench/qemu/run.py [--rounds N] [--qboot]     (./make.sh bench-qemu installs qemu-system-x86 first)

QEMU boots through its firmware (SeaBIOS by default, about a minute per boot on PVM hosts, where its
real-mode code runs in KVM's emulator; `--qboot` uses the minimal qboot firmware Debian ships). The
firmware also decides the memory map above 1 MiB and the boot loader's name: `boot-info`, which prints
them, is compared without those lines (the table says so); everything else must be byte for byte
the same.

The conformance kernels (exceptions through a 64-bit IDT, setjmp/longjmp, the local APIC timer; kvm-unit-tests
style PASS/FAIL/SKIP verdicts and a SUMMARY line, exit status = failures) are compared like the others; the
exceptions kernel is built without its int3 and `int $0x80` checks (they print SKIP on both sides), which QEMU's
KVM cannot deliver on PVM hosts.

Interrupt kernels (the PIT through a 32-bit IDT) are left out: on PVM hosts QEMU's KVM cannot
deliver them (KVM's emulator fails), which our machine completes itself, so QEMU is no oracle there
(docs/guest-machine.md).
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNELS = os.path.join(ROOT, "Tests", "HypervisorTests", "Kernels")


def toolchain_tool(name):
    swift = shutil.which("swift")
    if swift:
        candidate = os.path.join(os.path.dirname(os.path.realpath(swift)), name)
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} is missing (it comes with the Swift toolchain)")
    return found


def c_flags(wide):
    """The C flags Kernels/c-flags gives a 32-bit or a long-mode (wide) kernel, the file the tests'
    KernelSupport.swift reads, so both sides boot kernels built the same way."""
    named = {}
    with open(os.path.join(KERNELS, "c-flags")) as f:
        for line in f:
            if not line.startswith("#") and ":" in line:
                name, flags = line.split(":", 1)
                named[name] = flags.split()
    return named["64" if wide else "32"] + named["common"]


def build_kernel(work, name, sources, defines=(), wide=False):
    """Links the sources into an ELF32 kernel. A wide kernel (64-bit C, the conformance kernels) is linked
    as ELF64 and converted to ELF32, the only kind QEMU's -kernel boots; the tests boot that same form."""
    objects = []
    for index, source in enumerate(sources):
        path, obj = os.path.join(KERNELS, source), os.path.join(work, f"{name}-{index}.o")
        flags = [f"-D{d}" for d in defines]
        if source.endswith(".asm"):
            subprocess.run(["nasm", "-f", "elf64" if wide else "elf32", "-I", KERNELS + "/", "-o", obj, *flags, path], check=True)
        else:
            subprocess.run([toolchain_tool("clang"), *c_flags(wide), "-I", KERNELS, "-o", obj, *flags, path], check=True)
        objects.append(obj)
    out = os.path.join(work, f"{name}.elf")
    subprocess.run([toolchain_tool("ld.lld"), "-m", "elf_x86_64" if wide else "elf_i386", "-T",
                    os.path.join(KERNELS, "kernel.ld"), "-o", out, *objects], check=True)
    if wide:
        subprocess.run([toolchain_tool("llvm-objcopy"), "-O", "elf32-i386", out], check=True)
    return out


def conformance_kernel(work, name, source, defines=()):
    return build_kernel(work, name, ["unit-entry.asm", "unit.c", source], defines, wide=True)


def cases(work):
    module = os.path.join(work, "module.bin")
    with open(module, "wb") as f:
        f.write(b"\x7fMOD-bytes for the comparison\n")
    boot_info = build_kernel(work, "boot-info", ["c-entry.asm", "boot-info.c"])
    smp = build_kernel(work, "smp", ["smp.asm"])
    return [
        ("entry-state", build_kernel(work, "entry-state", ["entry-state.asm"]), 1, None, []),
        ("boot-info", boot_info, 1, "verbose=1 console=ttyS0", [f"{module} size=30", module]),
        # Without its int 0x80, which QEMU's KVM cannot deliver on PVM hosts (ours delivers it).
        ("long-mode", build_kernel(work, "long-mode", ["long-mode.asm"], ["NO_SOFTWARE_INTERRUPTS"]), 1, None, []),
        ("smp-2", smp, 2, None, []),
        ("smp-4", smp, 4, None, []),
        # Conformance kernels (kvm-unit-tests style verdicts). Exceptions without int3 and int $0x80:
        # on PVM hosts QEMU's KVM stops at a software interrupt in long mode, which ours delivers.
        ("exceptions", conformance_kernel(work, "exceptions", "exceptions.c", ["NO_SOFTWARE_INTERRUPTS"]), 1, None, []),
        ("setjmp", conformance_kernel(work, "setjmp", "setjmp.c"), 1, None, []),
        ("apic-timer", conformance_kernel(work, "apic-timer", "apic-timer.c"), 1, None, []),
    ]


# Lines a kernel prints that depend on the firmware, not on the loader: `boot-info`'s memory size,
# boot loader name and memory map.
FIRMWARE_LINES = ("mem_lower ", "loader '", "  0x")


def comparable(name, output):
    if name != "boot-info":
        return output
    return b"".join(line for line in output.splitlines(keepends=True)
                    if not line.decode("utf-8", "replace").startswith(FIRMWARE_LINES))


QEMU_TIMEOUT = 180  # seconds: SeaBIOS alone takes about a minute on PVM hosts


def run_qemu(kernel, cpus, append, initrds, firmware):
    command = ["qemu-system-x86_64", "-accel", "kvm", *firmware, "-m", "128", "-smp", str(cpus), "-kernel", kernel,
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "stdio", "-display", "none",
               "-monitor", "none", "-no-reboot"]
    if append is not None:
        command += ["-append", append]
    if initrds:
        command += ["-initrd", ",".join(initrds)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=QEMU_TIMEOUT)
    except subprocess.TimeoutExpired as stopped:
        # A guest QEMU cannot finish (on PVM hosts: a software interrupt in long mode): what it printed.
        return stopped.stdout or b"", "timeout", time.perf_counter() - start
    elapsed = time.perf_counter() - start
    status = done.returncode
    guest = (status >> 1) if status & 1 else None  # isa-debug-exit: (value << 1) | 1
    return done.stdout, guest, elapsed


def run_ours(tool, kernel, cpus, append, initrds):
    command = [tool, "run", "--json", "--cpus", str(cpus), "--memory", "128"]
    if append is not None:
        command += ["--append", append]
    for initrd in initrds:
        command += ["--initrd", initrd]
    start = time.perf_counter()
    done = subprocess.run(command + [kernel], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    elapsed = time.perf_counter() - start
    result = json.loads(done.stdout)
    guest = result["end"]["status"] if result["end"]["reason"] == "exit" else None
    return result["output"].encode("utf-8", "surrogateescape"), guest, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--qboot", action="store_true", help="boot QEMU with qboot instead of SeaBIOS")
    args = parser.parse_args()
    firmware = ["-bios", "/usr/share/qemu/qboot.rom"] if args.qboot else []
    print("==> building hypercourse (release)", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--product", "hypercourse"], cwd=ROOT, check=True,
                   stdout=sys.stderr)
    tool = os.path.join(ROOT, ".build", "release", "hypercourse")
    qemu_version = subprocess.run(["qemu-system-x86_64", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    failures = 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-qemu-") as work:
        for name, kernel, cpus, append, initrds in cases(work):
            qemu_times, our_times = [], []
            for _ in range(args.rounds):
                q_out, q_status, q_time = run_qemu(kernel, cpus, append, initrds, firmware)
                o_out, o_status, o_time = run_ours(tool, kernel, cpus, append, initrds)
                qemu_times.append(q_time)
                our_times.append(o_time)
                q_out, o_out = comparable(name, q_out), comparable(name, o_out)
                if (q_out, q_status) != (o_out, o_status):
                    failures += 1
                    print(f"{name}: QEMU printed {q_out!r} and ended with {q_status}; ours printed {o_out!r} and "
                          f"ended with {o_status}", file=sys.stderr)
                    break
            same = (q_out, q_status) == (o_out, o_status)
            q, o = statistics.median(qemu_times) * 1000, statistics.median(our_times) * 1000
            verdict = ("yes" if name != "boot-info" else "yes, without the firmware's lines") if same else "NO"
            rows.append(f"| {name} | {cpus} | {verdict} | {o_status} | {q:.1f} | {o:.1f} | {q / o:.1f}× |")
    print("| kernel | vCPUs | same output and status | exit status | QEMU median (ms) | ours median (ms) | QEMU / ours |")
    print("|---|---:|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    host = "PVM" if os.path.isdir("/sys/module/kvm_pvm") else "VT-x" if os.path.isdir("/sys/module/kvm_intel") else "other"
    print(f"({args.rounds} alternating runs per kernel, wall time from process start to exit; {qemu_version} with "
          f"{'qboot' if args.qboot else 'SeaBIOS'}; "
          f"{os.cpu_count()} cores; {platform.release()}; host: {host})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

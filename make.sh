#!/usr/bin/env bash
# The project's task runner. Plain bash on purpose: a fresh Debian 12 machine with only the Swift
# toolchain has no `make` and no python3, and these commands must work there as they are.
#
#   ./make.sh site            install what is missing, build the tool, build the course into public/
#   ./make.sh test            install what is missing, lint (format, function lengths), run every test, check the course's exercises (hypercourse check),
#                             then the browser check; this is what CI runs (.ci/run)
#   ./make.sh browser-check   only the browser check: the built site in headless Chromium through file://,
#                             axe-core 4 on every page
#   ./make.sh serve           build and serve the course on http://127.0.0.1:8000 with live reload
#   ./make.sh pdf             build the course with its PDF editions (headless Chromium) in public/downloads/
#   ./make.sh install         build hypercourse (release) and copy it to $PREFIX/bin (--prefix DIR; default /usr/local)
#   ./make.sh bench-NAME      run a benchmark (see docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")"

# libc6-dev and linux-libc-dev: vmm exercises are host C programs built against the C library and <linux/kvm.h>.
# zlib1g-dev: the offline editions' zip files (ZIPFoundation deflates through zlib).
BUILD_DEBS=(nasm libcmark-gfm-dev libcmark-gfm-extensions-dev libc6-dev linux-libc-dev zlib1g-dev)
# epubcheck validates the EPUB editions in the tests (it brings a Java runtime).
EDITION_DEBS=(epubcheck)
# fonts-noto-cjk: Chinese pages (the browser check's screenshots show characters, not boxes) and the Chinese PDF; poppler-utils: the PDF tests read the PDFs.
BROWSER_DEBS=(chromium chromium-driver python3-selenium python3-pip fonts-noto-cjk poppler-utils)
# axe-core 4 for the browser check's accessibility pass: its axe.min.js (MPL-2.0) ships in this PyPI
# wheel. Fetched at test time into a cache outside the repository, never committed.
AXE_WHEEL=axe-playwright-python==0.1.8
AXE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hypercourse/${AXE_WHEEL/==/-}"
BENCH_DEBS=(hugo cmark-gfm hyperfine python3)

say() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages that are missing when we are root; otherwise prints the exact line to run.
ensure_debs() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -eq 0 ]]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "Missing Debian packages. Run:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
}

ensure_swift() {
    command -v swift >/dev/null || {
        echo "swift is not on PATH. Install the Swift 6 toolchain as https://swift.org/install describes." >&2
        exit 1
    }
}

# Builds hypercourse in CONFIG (release or debug) once Swift and the build's packages (and any other
# packages named after CONFIG) are there, and prints the binary's path. SwiftPM decides what is stale:
# file times cannot (an edit that compiles to the same object does not relink the binary). Callers
# take the path from a $(...), where errexit does not reach: each step's failure is returned by hand,
# so a failed build never hands on the binary of an older one.
build_tool() {
    local config=$1
    shift
    ensure_swift
    ensure_debs "${BUILD_DEBS[@]}" "$@" || return
    say "building hypercourse ($config)"
    swift build -c "$config" --product hypercourse >&2 || return
    echo ".build/$config/hypercourse"
}

# Whether content/ has an exercise fence (```asm exercise and the like).
course_has_exercises() {
    grep -rqE '^ {0,3}(```|~~~)+ *[A-Za-z0-9_-]+ +exercise' content --include='*.md' 2>/dev/null
}

task_site() {
    local tool
    tool=$(build_tool release)
    "$tool" build "$@"
}

# CI must run exactly what the README tells a new user to run: the command on the second line of its
# first code block (without its trailing comment) is a line of .ci/run by itself.
check_ci_runs_the_readme() {
    local command
    command=$(awk '/^```sh/ { inside = 1; next } inside && /^```/ { exit } inside { print }' README.md | sed -n 2p |
        sed -E 's/[[:space:]]+#.*$//')
    if [[ -z $command ]] || ! grep -qxF -- "$command" .ci/run; then
        echo "error: .ci/run does not run the README's test command: ${command:-(none found)}" >&2
        return 1
    fi
}

task_test() {
    ensure_swift
    # The browser check's packages too, so a fresh machine runs apt-get once.
    ensure_debs "${BUILD_DEBS[@]}" "${BROWSER_DEBS[@]}" "${EDITION_DEBS[@]}"
    check_ci_runs_the_readme
    say "checking the format (swift format lint, .swift-format) and function lengths"
    swift format lint --strict --parallel --recursive Sources Tests bench Package.swift
    scripts/long-functions.sh
    say "running the test suite"
    # The server tests measure timeouts with real sockets; they run on their own after the rest, so
    # long builds and tool runs in other suites cannot starve the server's tasks of the cooperative
    # pool's two threads on a 2-core machine (a header timeout then looks like a 150 s wait).
    local timed='ServerLimitsTests|PostGuardTests|DevServerTests'
    swift test --skip "$timed"
    say "running the server's timing tests on their own"
    swift test --skip-build --filter "$timed"
    # `swift test` has built the tool; this only makes sure of it (a no-op of about a second).
    local tool
    tool=$(build_tool debug)
    # The course's exercises: every one rerun and compared with its verified record.
    if course_has_exercises; then
        if [[ -e /dev/kvm ]]; then
            say "checking the course's exercises against their records"
            "$tool" check --content content
        else
            say "skipping the exercise check: /dev/kvm is absent on this machine"
        fi
    fi
    # The site as students see it, in Chromium through file://; `check` has filled the exercise
    # cache, so building the site runs none of them again.
    browser_check "$tool"
}

# Prints the path of axe.min.js, downloading the wheel and taking the file out of it the first time.
# Every step is checked by hand: errexit does not reach into a $(...) like the caller's.
axe_script() {
    local script="$AXE_CACHE/axe.min.js" scratch
    if [[ ! -s $script ]]; then
        say "fetching axe-core from PyPI ($AXE_WHEEL)"
        scratch=$(mktemp -d) || return 1
        # Python's zipfile rather than unzip, which a fresh Debian does not have.
        if /usr/bin/python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
                --dest "$scratch" "$AXE_WHEEL" >&2 &&
            /usr/bin/python3 -c 'import sys, zipfile, glob
with zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]) as wheel:
    sys.stdout.buffer.write(wheel.read("axe_playwright_python/axe.min.js"))' "$scratch" >"$scratch/axe.min.js" &&
            # Renamed in its own folder, so a killed copy never passes for the whole file.
            mkdir -p "$AXE_CACHE" && mv "$scratch/axe.min.js" "$script.$$" && mv "$script.$$" "$script"; then
            rm -rf "$scratch"
        else
            rm -rf "$scratch"
            echo "could not fetch axe.min.js from the $AXE_WHEEL wheel on PyPI" >&2
            return 1
        fi
    fi
    echo "$script"
}

# The tool here is the debug build, which `test` has just made, so bringing it up to date is a
# no-op of about a second; a release build of the whole package only to render the site cost about
# 100 s (docs/benchmarks.md).
task_browser_check() {
    local tool
    tool=$(build_tool debug "${BROWSER_DEBS[@]}")
    browser_check "$tool"
}

# The browser check with the given tool: the site in Chromium through file://, then live reload and
# the playground through hypercourse serve.
browser_check() {
    local tool=$1 axe
    axe=$(axe_script)
    # Until content/ has lessons, check_site.py builds the fixture course into public/ instead.
    # With the PDFs: the check renders some of their pages and reads their contents and fonts.
    if compgen -G "content/*/*.md" >/dev/null; then "$tool" build --pdf; fi
    say "browser check"
    HYPERCOURSE_TOOL="$tool" HC_AXE_JS="$axe" python3 Tests/browser/check_site.py public
    say "live reload: hypercourse serve in Chromium"
    HYPERCOURSE_TOOL="$tool" python3 Tests/browser/check_live_reload.py
    say "playground: edit and run a card through hypercourse serve in Chromium"
    HYPERCOURSE_TOOL="$tool" HC_AXE_JS="$axe" python3 Tests/browser/check_playground.py
}

task_bench_site() {
    ensure_swift
    ensure_debs "${BUILD_DEBS[@]}" "${BENCH_DEBS[@]}" time
    say "site benchmark: hypercourse vs Hugo, Markdown vs cmark-gfm (see docs/benchmarks.md)"
    python3 bench/site/run.py "$@"
}

# The PDF of each language needs Chromium (and a CJK font for Chinese), so it is a build option
# rather than part of every build.
task_pdf() {
    local tool
    tool=$(build_tool release "${BROWSER_DEBS[@]}")
    "$tool" build --pdf "$@"
}

task_serve() {
    local tool
    tool=$(build_tool release)
    # The binary carries the theme as it was built; pointing --templates at templates/ too makes an
    # edit there show on the next reload without rebuilding the tool.
    local arg theme=(--templates templates)
    for arg in "$@"; do [[ $arg == --templates* ]] && theme=(); done
    "$tool" serve "${theme[@]}" "$@"
}

# The tool is one self-contained file (the theme and the guest C runtime are compiled in), so
# installing it is copying it. `--debug` installs the debug build instead; `--no-build` installs the
# binary already built, as packagers do (and the tests, which run inside `swift test`'s build lock).
task_install() {
    local prefix=${PREFIX:-/usr/local} config=release build=yes
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --prefix) [[ $# -ge 2 ]] || { echo "--prefix needs a folder" >&2; exit 2; }; prefix=$2; shift 2 ;;
            --prefix=*) prefix=${1#--prefix=}; shift ;;
            --debug) config=debug; shift ;;
            --no-build) build=no; shift ;;
            *) echo "install: unknown option '$1' (use --prefix DIR, --debug, --no-build)" >&2; exit 2 ;;
        esac
    done
    if [[ $build == yes ]]; then build_tool "$config" >/dev/null; fi
    [[ -x .build/$config/hypercourse ]] || { echo "no .build/$config/hypercourse to install: build it first" >&2; exit 1; }
    install -d "$prefix/bin"
    install -m 0755 ".build/$config/hypercourse" "$prefix/bin/hypercourse"
    say "installed $prefix/bin/hypercourse"
    case ":$PATH:" in
        *":$prefix/bin:"*) ;;
        *) say "$prefix/bin is not on PATH; add it, or run $prefix/bin/hypercourse" ;;
    esac
}

task_bench_exercises() {
    ensure_swift
    ensure_debs "${BUILD_DEBS[@]}" python3
    say "exercise benchmark: cold and warm builds against site-only and tools-only anchors (see docs/benchmarks.md)"
    local course=()
    if course_has_exercises; then course=(--course content); fi
    python3 bench/exercises/run.py "${course[@]}" "$@"
}

task_bench_playground() {
    ensure_swift
    ensure_debs "${BUILD_DEBS[@]}" python3
    say "playground latency: Run to the updated card through hypercourse serve, against hypercourse run (see docs/benchmarks.md)"
    python3 bench/playground/run.py "$@"
}

task_bench_qemu() {
    ensure_swift
    ensure_debs "${BUILD_DEBS[@]}" python3 qemu-system-x86
    say "QEMU comparison: the same Multiboot kernels in QEMU and in our pc machine (see docs/benchmarks.md)"
    python3 bench/qemu/run.py "$@"
}

task_bench_hypervisor() {
    ensure_swift
    ensure_debs "${BUILD_DEBS[@]}"
    bench/hypervisor/run.sh "$@"
}

task="${1:-}"
[[ -n $task ]] || { sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
shift
case "$task" in
    site) task_site "$@" ;;
    test) task_test "$@" ;;
    browser-check) task_browser_check "$@" ;;
    serve) task_serve "$@" ;;
    pdf) task_pdf "$@" ;;
    install) task_install "$@" ;;
    bench-hypervisor) task_bench_hypervisor "$@" ;;
    bench-site) task_bench_site "$@" ;;
    bench-qemu) task_bench_qemu "$@" ;;
    bench-playground) task_bench_playground "$@" ;;
    bench-exercises) task_bench_exercises "$@" ;;
    *) echo "unknown task '$task'" >&2; sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

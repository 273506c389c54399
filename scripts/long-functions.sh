#!/usr/bin/env bash
# Lists Swift functions (func, init, deinit, subscript) longer than a limit, as `file:line: ...`,
# and exits 1 when there is one. `./make.sh test` runs it with the defaults below (the house limit).
#
#   scripts/long-functions.sh [--limit N] [PATH ...]     (default: --limit 60 Sources Tests bench)
#
# scripts/long-functions.allow lists the few known exceptions, one `FILE NAME` a line with the
# reason after `#`; an exception that is no longer too long is reported, so the list only shrinks.
#
# A function's length is its lines from the declaration to its closing brace, nested functions and
# closures included. Plain bash and awk on purpose, like make.sh: a fresh machine has no python3.
# It reads Swift as far as braces need: comments, strings (with interpolation), raw and multi-line
# strings are skipped, and a brace inside default arguments is not the body's.
set -euo pipefail

limit=60
paths=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --limit) limit="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) paths+=("$1"); shift ;;
    esac
done
[[ ${#paths[@]} -gt 0 ]] || paths=(Sources Tests bench)
allow_file="$(dirname "$0")/long-functions.allow"

report=$(find "${paths[@]}" -name '*.swift' -type f | LC_ALL=C sort | while IFS= read -r file; do
    awk -v limit="$limit" -f - "$file" <<'AWK'
function isword(c) { return c ~ /[A-Za-z0-9_]/ }
function reset_file() {
    depth = 0; paren = 0; sp = 0; msp = 0; blockComment = 0; multi = 0; pending = 0
}
BEGIN { reset_file() }
{
    line = $0; n = length(line); i = 1
    if (multi) {
        # Inside a multi-line string: only its closing delimiter matters.
        close_at = index(line, "\"\"\"" multiHashes)
        if (close_at == 0) next
        multi = 0; i = close_at + 3 + length(multiHashes)
    }
    while (i <= n) {
        c = substr(line, i, 1)
        mode = msp > 0 ? modes[msp] : "code"
        if (blockComment) {
            if (substr(line, i, 2) == "*/") { blockComment = 0; i += 2 } else i++
            continue
        }
        if (mode == "str" || mode == "raw") {
            if (mode == "str" && c == "\\") {
                if (substr(line, i + 1, 1) == "(") { modes[++msp] = "interp"; interpParen[msp] = 0; i += 2 } else i += 2
                continue
            }
            if (c == "\"" && substr(line, i + 1, length(hashes[msp])) == hashes[msp]) {
                i += 1 + length(hashes[msp]); msp--; continue
            }
            i++; continue
        }
        # Code (at top level or inside an interpolation).
        if (substr(line, i, 2) == "//") break
        if (substr(line, i, 2) == "/*") { blockComment = 1; i += 2; continue }
        if (c == "#" || c == "\"") {
            j = i; h = ""
            while (substr(line, j, 1) == "#") { h = h "#"; j++ }
            if (substr(line, j, 1) == "\"") {
                if (substr(line, j, 3) == "\"\"\"") { multi = 1; multiHashes = h; break }
                modes[++msp] = (h == "" ? "str" : "raw"); hashes[msp] = h; i = j + 1; continue
            }
            i = j > i ? j : i + 1; continue
        }
        if (mode == "interp") {
            if (c == "(") interpParen[msp]++
            if (c == ")") { if (interpParen[msp] == 0) { msp--; i++; continue } interpParen[msp]-- }
        }
        if (c == "(" || c == "[") paren++
        else if (c == ")" || c == "]") paren--
        else if (c == "{") {
            if (pending && paren == pendingParen) {
                top++; startLine[top] = pendingLine; startDepth[top] = depth; name[top] = pendingName; pending = 0
            }
            depth++
        } else if (c == "}") {
            depth--
            if (pending && paren == pendingParen) pending = 0
            if (top > 0 && depth == startDepth[top]) {
                length_ = NR - startLine[top] + 1
                if (length_ > limit) {
                    printf "%s:%d: %s is %d lines (limit %d)\n", FILENAME, startLine[top], name[top], length_, limit
                    found = 1
                }
                top--
            }
        } else if (isword(c) && (i == 1 || !isword(substr(line, i - 1, 1)))) {
            j = i
            while (j <= n && isword(substr(line, j, 1))) j++
            word = substr(line, i, j - i)
            before = substr(line, 1, i - 1); sub(/[ \t]+$/, "", before)
            dotted = substr(before, length(before), 1) == "."
            if (!dotted && (word == "func" || word == "init" || word == "deinit" || word == "subscript")) {
                pending = 1; pendingLine = NR; pendingParen = paren
                rest = substr(line, j); sub(/^[ \t]+/, "", rest)
                if (word == "func") { match(rest, /^[^ \t(<]+/); pendingName = "func " substr(rest, RSTART, RLENGTH) }
                else pendingName = word
            } else if (!dotted && pending && paren == pendingParen && (word == "var" || word == "let" || word == "case" || word == "typealias" || word == "struct" || word == "class" || word == "enum" || word == "protocol" || word == "extension")) {
                pending = 0  # the previous declaration had no body (a protocol requirement)
            }
            i = j; continue
        }
        i++
    }
}
AWK
done)
# Known exceptions: `FILE NAME` (NAME as reported, e.g. `func handle`), `#` starts the reason.
status=0
allowed=()
if [[ -f $allow_file ]]; then
    while IFS= read -r entry; do
        entry="${entry%%#*}"; entry="${entry%"${entry##*[![:space:]]}"}"
        [[ -n $entry ]] && allowed+=("$entry")
    done <"$allow_file"
fi
for entry in "${allowed[@]}"; do
    file="${entry%% *}"; name="${entry#* }"
    kept=$(awk -v file="$file:" -v name=": $name is " 'index($0, file) != 1 || index($0, name) == 0' <<<"$report")
    if [[ $kept != "$report" ]]; then
        report=$kept
    elif [[ " ${paths[*]} " == *" ${file%%/*} "* || " ${paths[*]} " == *" $file "* ]]; then
        echo "$allow_file: '$entry' is no longer over $limit lines (or gone): remove it from the list" >&2
        status=1
    fi
done
if [[ -n $report ]]; then
    echo "$report"
    echo "$(grep -c . <<<"$report") function(s) over $limit lines: split them (ARCHITECTURE.md, conventions)" >&2
    status=1
fi
exit $status

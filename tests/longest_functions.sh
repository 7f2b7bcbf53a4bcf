#!/usr/bin/env bash
# The longest functions of api/, db/ and service/ (issue 9 lists them before and after a refactor).
# Usage: tests/longest_functions.sh [ROOT] [N]   (ROOT: a checkout, default this one; N: 10)
# Reads clang-formatted C (BreakBeforeBraces: Linux): a function body opens with "{" alone at
# column 0 and closes with "}" at column 0; its signature starts at the last line before the "{"
# that begins at column 0 with a letter. Lines counted: signature to closing brace, inclusive.
# Not a test: it prints a table and exits 0.
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
n=${2:-10}
cd "$root"

# shellcheck disable=SC2016 # an awk program, not shell
find api db service -name '*.c' | sort | xargs awk '
    FNR == 1 { sig = 0; start = 0 }
    /^[A-Za-z_]/ && !start { sig = FNR; text = $0 }
    /^\{/ && sig && !start { start = sig; name = text; next }
    /^\}/ && start {
        # The name: the identifier right before the first "(" of the signature line, or the
        # argument of a macro that declares the function (API_HANDLER(name)).
        if (name ~ /^[A-Z_]+\([a-z_0-9]+\)/) {
            sub(/^[A-Z_]+\(/, "", name)
            sub(/\).*/, "", name)
        } else {
            sub(/\(.*/, "", name)
            k = split(name, words, /[ *]+/)
            name = words[k]
        }
        printf "%d\t%s\t%s:%d\n", FNR - start + 1, name, FILENAME, start
        start = 0; sig = 0
        next
    }
    /^[^A-Za-z_]/ && !start && !/^[ \t]/ { sig = 0 }
' | sort -t "$(printf '\t')" -k1,1nr -k3,3 |
    awk -F '\t' -v n="$n" 'BEGIN { printf "%5s  %-32s %s\n", "lines", "function", "file:line" }
                            NR <= n { printf "%5d  %-32s %s\n", $1, $2, $3 }'

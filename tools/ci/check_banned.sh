#!/usr/bin/env bash
# Report calls of banned C library functions in src/ (style guide M4, P6, S4).
# Allocation goes through rert_alloc/rert_calloc/rert_free, which live in
# src/core/alloc.c, the one file allowed to call malloc/free. Number parsing
# goes through the strict helpers of src/core (no atoi/atof/sscanf/strtok).
#
# A line may be excused with a comment that gives the reason, e.g.
#   x = strtok_like(...); /* rert-banned-ok: <reason> */
# Comments are stripped roughly (// ..., /* ... */ on one line, and lines
# inside or starting a block comment) before matching.
# Usage: tools/ci/check_banned.sh [REPO_ROOT]; exit 1 on any offender.
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"

banned='malloc|free|realloc|calloc|sprintf|vsprintf|strcpy|strcat|strncpy|atoi|atol|atoll|atof|strtok|sscanf|gets'
allowed_file='src/core/alloc.c'

status=0
offenders=$(
    find src -type f \( -name '*.c' -o -name '*.h' \) | sort |
        while IFS= read -r file; do
            [ "$file" = "$allowed_file" ] && continue
            awk -v file="$file" -v banned="$banned" '
            {
                line = $0
                if (line ~ /rert-banned-ok: *[^ *]/) { next }
                # Block comments: drop text inside /* ... */, also across lines.
                out = ""
                while (length(line) > 0) {
                    if (in_comment) {
                        end = index(line, "*/")
                        if (end == 0) { line = ""; break }
                        line = substr(line, end + 2)
                        in_comment = 0
                    } else {
                        start = index(line, "/*")
                        if (start == 0) { out = out line; line = ""; break }
                        out = out substr(line, 1, start - 1)
                        line = substr(line, start + 2)
                        in_comment = 1
                    }
                }
                sub(/\/\/.*/, "", out)
                # String literals: drop their contents.
                gsub(/"([^"\\]|\\.)*"/, "\"\"", out)
                # A call: the name not preceded by an identifier character,
                # "." or "->" (struct members such as ops->free are fine).
                re = "(^|[^A-Za-z0-9_.>])(" banned ")[ \t]*\\("
                if (match(out, re)) {
                    hit = substr(out, RSTART, RLENGTH)
                    sub(/^[^A-Za-z_]/, "", hit)
                    sub(/[ \t]*\($/, "", hit)
                    printf "%s:%d: banned function %s(): %s\n", file, FNR, hit, $0
                }
            }' "$file"
        done
)

if [ -n "$offenders" ]; then
    echo "$offenders"
    echo "check_banned: $(echo "$offenders" | wc -l) call(s) of banned functions in src/ (use rert_alloc/rert_calloc/rert_free, snprintf, rert_strbuf, rert_parse_*); see style guide M4/P6/S4"
    status=1
else
    echo "check_banned: no banned functions in src/ (outside $allowed_file)"
fi
exit "$status"

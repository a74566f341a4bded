#!/usr/bin/env bash
# Test wrapper of `meson test --setup=valgrind` (top-level meson.build; .ci/run
# stage valgrind). A compiled test program runs under valgrind memcheck, and a
# memory error or a definite/indirect leak fails it. Scripts and system
# programs (python3 interop tests, shell tests) run unwrapped: an
# interpreter's own allocations are not ours to judge.
# Usage: valgrind_test.sh PROGRAM [ARGS...]
set -euo pipefail

prog=${1:?usage: valgrind_test.sh PROGRAM [ARGS...]}
case "$prog" in
/usr/* | /bin/* | /sbin/*) exec "$@" ;;
esac
if [ -f "$prog" ] && [ "$(head -c 2 "$prog")" = '#!' ]; then
    exec "$@"
fi
exec valgrind --quiet --error-exitcode=1 --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --track-origins=yes "$@"

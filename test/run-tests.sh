#!/bin/bash
# Run the unit and/or integration tests and print one closing line "N passed, N failed".
#
#   test/run-tests.sh [unit|integration|all] [PATTERN]
#
# Every test program prints TAP; each "ok" counts as passed and each "not ok" as failed.
# A program that exits non-zero without reporting a failure (a crash) counts as one failure.
# Output of each program is kept in test-results/NAME.log.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
which=${1:-all}
pattern=${2:-}
results=$top/test-results
mkdir -p "$results"

passed=0
failed=0
failed_names=()

run_one() {
    local name=$1; shift
    local log=$results/$name.log
    mkdir -p "$(dirname "$log")"
    local rc p f
    "$@" >"$log" 2>&1 </dev/null
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        printf '%-40s %4d passed %4d FAILED\n' "$name" "$p" "$f"
        grep '^not ok' "$log" | head -20 | sed 's/^/    /'
    else
        printf '%-40s %4d passed\n' "$name" "$p"
    fi
}

if [ "$which" = unit ] || [ "$which" = all ]; then
    for t in test/unit/check_*; do
        case $t in *.c|*.o|*.d) continue ;; esac
        [ -x "$t" ] || continue
        [ -n "$pattern" ] && [[ $t != *$pattern* ]] && continue
        CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=silent CK_DEFAULT_TIMEOUT=30 \
            run_one "unit/$(basename "$t")" timeout 300 "$t"
    done
fi

if [ "$which" = integration ] || [ "$which" = all ]; then
    for t in test/integration/t[0-9]*.sh; do
        [ -e "$t" ] || continue
        [ -n "$pattern" ] && [[ $t != *$pattern* ]] && continue
        run_one "integration/$(basename "$t" .sh)" timeout 600 bash "$t"
    done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]} (logs in test-results/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

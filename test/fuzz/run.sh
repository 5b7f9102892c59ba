#!/bin/sh
# Run each libFuzzer target for SECONDS seconds, keeping a corpus per target under
# test/fuzz/corpus-NAME (ignored by git).  Prints "N passed, N failed" like the test runner.
#   test/fuzz/run.sh SECONDS FUZZER...
seconds=$1
shift
passed=0
failed=0
for f in "$@"; do
    name=$(basename "$f")
    corpus="test/fuzz/corpus-$name"
    mkdir -p "$corpus"
    if "$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
        -artifact_prefix="test/fuzz/$name-" "$corpus" >"test/fuzz/$name.log" 2>&1; then
        echo "ok - $name ran ${seconds}s"
        passed=$((passed + 1))
    else
        echo "not ok - $name (see test/fuzz/$name.log)"
        tail -30 "test/fuzz/$name.log"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

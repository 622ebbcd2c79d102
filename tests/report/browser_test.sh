#!/usr/bin/env bash
# End-to-end: builds a small results store with the CLI (corruption benchmark with BN adaptation,
# an FMN attack, the model-vs-human comparison), writes the report, opens it in headless Chromium
# (Debian's chromium), checks that every section rendered and the console shows no error, saves a
# screenshot under <build>/test-output/, then checks robustlab serve on 127.0.0.1.
# Usage: browser_test.sh <robustlab binary> <shared dir> <output dir>
set -euo pipefail
cli=$1
shared=$2
out=$3
mkdir -p "$out"
work=$(mktemp -d)
server=
trap 'rm -rf "$work"; [ -n "$server" ] && kill "$server" 2>/dev/null || true' EXIT
db="$work/r.db"
model="$shared/reference/fmn/fmnist_cnn.pt"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cli" eval --model "$model" --limit 64 --batch-size 32 --corruptions fog,contrast --severities 1,3 --adapt bn \
  --db "$db" -q > /dev/null
"$cli" attack --model "$model" --limit 8 --steps 20 --norm 2 --db "$db" -q > /dev/null
"$cli" human compare --raw-data "$shared/data/model-vs-human/raw-data" --simulations 20 --db "$db" -q > /dev/null
"$cli" report --db "$db" -o "$work/report.html" > /dev/null
if grep -Eq 'https?://' "$work/report.html"; then fail "the report links an external URL"; fi

command -v chromium > /dev/null || fail "chromium is not installed (scripts/setup.sh installs it)"
chrome=(chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
        --user-data-dir="$work/profile")
"${chrome[@]}" --dump-dom "file://$work/report.html" > "$work/dom.html" 2> /dev/null
for id in clean corruptions adversarial human runs; do
  grep -q "<section id=\"$id\">" "$work/dom.html" || fail "section $id did not render"
done
grep -q 'data-rendered="ok"' "$work/dom.html" || fail "the page's script did not run to the end"
# Console messages (console.log/error, uncaught exceptions) go to the log as ":CONSOLE" lines with
# --enable-logging; the report logs nothing, so any such line is a failure.
"${chrome[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=2000 --window-size=1200,2400 \
  --screenshot="$out/report.png" "file://$work/report.html" > /dev/null 2> "$work/console.log" || true
if grep -E ':CONSOLE|Uncaught' "$work/console.log" >&2; then fail "console messages"; fi
[ -s "$out/report.png" ] || fail "no screenshot"

# The empty state renders too.
"$cli" report --db "$work/empty.db" -o "$work/empty.html" > /dev/null
"${chrome[@]}" --dump-dom "file://$work/empty.html" 2> /dev/null | grep -q 'id="empty"' || fail "no empty-state page"

# robustlab serve: the live page on 127.0.0.1, and nothing else.
port=$((20000 + RANDOM % 20000))
"$cli" serve --db "$db" --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done
# Fetched once into a file: `curl | grep -q` under pipefail fails when grep stops reading early
# (a match in <head>) and curl gets SIGPIPE.
curl -s -o "$work/served.html" "http://127.0.0.1:$port/"
grep -q '<section id="corruptions">' "$work/served.html" || fail "serve: no report at /"
grep -q 'http-equiv="refresh"' "$work/served.html" || fail "serve: the page does not refresh"
code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$port/../../etc/passwd")
[ "$code" = 404 ] || [ "$code" = 400 ] || fail "serve: path traversal answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/robustlab.db")
[ "$code" = 404 ] || fail "serve: served a file ($code)"
kill "$server"
wait "$server" 2> /dev/null || true
server=
echo "browser test passed; screenshot: $out/report.png"

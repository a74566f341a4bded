#!/usr/bin/python3
"""Count test results for the CI summary line (style guide B3).

Reads one or more Meson test logs (meson-logs/testlog*.json, one JSON object
per line) and prints, as its LAST line,

    N passed, N failed[, N skipped]

What is counted:

* A Meson test whose output shows cmocka groups ("[==========] Running N
  test(s).") counts each cmocka test case: the "[  PASSED  ] N test(s).",
  "[  FAILED  ] N test(s)" and "[  SKIPPED ] N test(s)" summary lines of every
  group, in stdout and stderr (cmocka 1.1.5 prints the summary on stderr).
  Cases that a group announced but never reported (the executable crashed or
  timed out) count as failed. If Meson still judged the test failed while no
  case failed (a sanitizer or valgrind error at exit, a leak), that counts as
  one more failure, so an executable-level failure is never lost.
* Any other Meson test (fuzz replays, CLI tests) counts once, by its Meson
  result: OK and EXPECTEDFAIL pass; SKIP is skipped; FAIL, TIMEOUT, ERROR and
  UNEXPECTEDPASS fail.
* --stage NAME=pass|fail|skip adds one non-test CI stage (format check,
  clang-tidy, a build, ...) as one passed, failed or skipped item.
* A log file that is missing or unreadable counts as one failure.

Usage: count_tests.py [--stage NAME=RESULT]... [--label LOG=LABEL] LOG...
Exit status: 0 when nothing failed, 1 otherwise.
"""

import argparse
import json
import re
import sys

RUNNING = re.compile(r"^\[==========\] Running (\d+) test\(s\)\.", re.M)
PASSED = re.compile(r"^\[  PASSED  \] (\d+) test\(s\)\.", re.M)
FAILED = re.compile(r"^\[  FAILED  \] (\d+) test\(s\)", re.M)
SKIPPED = re.compile(r"^\[  SKIPPED \] (\d+) test\(s\)", re.M)

PASS_RESULTS = {"OK", "EXPECTEDFAIL"}
SKIP_RESULTS = {"SKIP"}


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures.extend(other.failures)


def total(pattern, text):
    return sum(int(m) for m in pattern.findall(text))


def count_test(entry):
    """Tally of one Meson test entry of testlog.json."""
    tally = Tally()
    name = entry.get("name", "?")
    result = entry.get("result", "ERROR")
    text = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    announced = total(RUNNING, text)
    meson_ok = result in PASS_RESULTS or result in SKIP_RESULTS
    if announced == 0:
        if result in PASS_RESULTS:
            tally.passed = 1
        elif result in SKIP_RESULTS:
            tally.skipped = 1
        else:
            tally.failed = 1
            tally.failures.append(f"{name} ({result})")
        return tally
    tally.passed = total(PASSED, text)
    tally.failed = total(FAILED, text)
    tally.skipped = total(SKIPPED, text)
    unreported = announced - (tally.passed + tally.failed + tally.skipped)
    if unreported > 0:
        tally.failed += unreported
        tally.failures.append(
            f"{name}: {unreported} case(s) never reported ({result})")
    if tally.failed > 0:
        if unreported <= 0:
            tally.failures.append(f"{name}: {tally.failed} case(s) failed")
    elif not meson_ok:
        tally.failed = 1
        tally.failures.append(
            f"{name}: all cases passed but the test {result} "
            f"(exit status {entry.get('returncode')}: sanitizer, valgrind "
            f"or leak report?)")
    return tally


def count_log(path):
    tally = Tally()
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        tally.failed = 1
        tally.failures.append(f"{path}: cannot read test log ({e.strerror})")
        return tally
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as e:
            tally.failed += 1
            tally.failures.append(f"{path}:{number}: not JSON ({e.msg})")
            continue
        tally.add(count_test(entry))
    return tally


def stage_tally(spec):
    name, sep, result = spec.partition("=")
    tally = Tally()
    result = result.strip().lower()
    if not sep or result not in ("pass", "fail", "skip"):
        tally.failed = 1
        tally.failures.append(f"stage '{spec}': expected NAME=pass|fail|skip")
    elif result == "pass":
        tally.passed = 1
    elif result == "skip":
        tally.skipped = 1
    else:
        tally.failed = 1
        tally.failures.append(f"stage {name} failed")
    return tally


def summary_line(tally):
    line = f"{tally.passed} passed, {tally.failed} failed"
    if tally.skipped > 0:
        line += f", {tally.skipped} skipped"
    return line


def main(argv):
    parser = argparse.ArgumentParser(
        description="Count Meson/cmocka test results and CI stages.")
    parser.add_argument("--stage", action="append", default=[],
                        metavar="NAME=RESULT",
                        help="a non-test stage: pass, fail or skip")
    parser.add_argument("--label", action="append", default=[],
                        metavar="LOG=LABEL", help="name printed for a log")
    parser.add_argument("logs", nargs="*", help="meson-logs/testlog*.json")
    args = parser.parse_args(argv)
    labels = dict(s.partition("=")[::2] for s in args.label)

    grand = Tally()
    for path in args.logs:
        tally = count_log(path)
        # Deliberately not in the "N passed, N failed" shape: only the last
        # line of the output may look like the CI summary.
        print(f"  tests {labels.get(path, path)}: passed={tally.passed} "
              f"failed={tally.failed} skipped={tally.skipped}")
        grand.add(tally)
    for spec in args.stage:
        tally = stage_tally(spec)
        print(f"  stage {spec}")
        grand.add(tally)
    for failure in grand.failures:
        print(f"  FAILED: {failure}")
    print(summary_line(grand))
    return 0 if grand.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""End-to-end checks of the rert command line: exit codes (docs/exit-codes.md),
messages, and that a failed run writes nothing.

usage: cli_test.py RERT_EXECUTABLE
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = 0


def check(ok, what, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + (("  [" + detail + "]") if not ok and detail else ""))
    if not ok:
        failures += 1


def run(*args):
    return subprocess.run([RERT, *args], capture_output=True, text=True)


def main():
    work = tempfile.mkdtemp(prefix="rert-cli-")
    try:
        r = run("--version")
        check(r.returncode == 0 and r.stdout.startswith("rert ") and "openmp=" in r.stdout,
              "--version prints version and features", r.stdout)
        r = run()
        check(r.returncode == 2, "no command: exit 2 (usage)")
        r = run("frobnicate")
        check(r.returncode == 2 and "unknown command" in r.stderr, "unknown command: exit 2")
        for cmd in ("info", "eqd2", "dvh", "phantom"):
            r = run(cmd, "--help")
            check(r.returncode == 0 and "example" in r.stdout, "%s --help has an example" % cmd)

        case = os.path.join(work, "case")
        r = run("phantom", "--quiet", "-o", case)
        check(r.returncode == 0, "phantom writes the case", r.stderr)
        bent = os.path.join(work, "deformed")
        r = run("phantom", "--deform", "11", "-o", bent)
        check(r.returncode == 2 and "--deform" in r.stderr and not os.path.exists(bent),
              "phantom --deform out of range: exit 2, nothing written")
        r = run("phantom", "--quiet", "--deform", "4.5", "-o", bent)
        with open(os.path.join(bent, "truth.json")) if r.returncode == 0 else open(os.devnull) as f:
            peak = (json.loads(f.read() or "{}").get("course2_to_course1", {})
                    .get("deformation", {}).get("peak_mm"))
        check(r.returncode == 0 and peak == 4.5, "phantom --deform 4.5: truth.json peak_mm 4.5",
              r.stderr)
        c1 = os.path.join(case, "course1")
        rd, rp, rs = (os.path.join(c1, f) for f in ("RD.dcm", "RP.dcm", "RS.dcm"))

        # info: text and JSON
        r = run("info", "--json", c1)
        check(r.returncode == 0, "info --json on a course: exit 0", r.stderr)
        try:
            objects = json.loads(r.stdout)
        except ValueError:
            objects = []
        kinds = sorted(o.get("object") for o in objects)
        check(kinds == ["IMAGE_SERIES", "RTDOSE", "RTPLAN", "RTSTRUCT"],
              "info finds the CT series, RTDOSE, RTPLAN and RTSTRUCT", str(kinds))
        plan = [o for o in objects if o.get("object") == "RTPLAN"]
        check(plan and plan[0]["fraction_groups"][0]["fractions_planned"] == 35,
              "info reports 35 planned fractions")
        dose = [o for o in objects if o.get("object") == "RTDOSE"]
        check(dose and dose[0]["dose_units"] == "GY" and dose[0]["dose_type"] == "PHYSICAL",
              "info reports dose units and type")
        r = run("info", c1)
        check(r.returncode == 0 and "fractions_planned: 35" in r.stdout, "info text output")

        # eqd2: usage errors (exit 2), nothing written
        out = os.path.join(work, "out.dcm")
        r = run("eqd2", "--dose", rd, "--fractions", "35", "-o", out)
        check(r.returncode == 2 and "alpha/beta" in r.stderr, "eqd2 without alpha/beta: exit 2")
        r = run("eqd2", "--dose", rd, "--ab", "3", "-o", out)
        check(r.returncode == 2 and "fractions" in r.stderr, "eqd2 without fractions: exit 2")
        r = run("eqd2", "--dose", rd, "--fractions", "35", "--structures", rs,
                "--ab", "SpinalCord=2", "-o", out)
        check(r.returncode == 2 and "ab-default" in r.stderr,
              "eqd2 per-ROI without default: exit 2 (never guessed)")
        r = run("eqd2", "--dose", rd, "--fractions", "0", "--ab", "3", "-o", out)
        check(r.returncode == 2, "eqd2 zero fractions: exit 2")
        r = run("eqd2", "--dose", rd, "--fractions", "35", "--model", "lql", "--ab", "3",
                "-o", out)
        check(r.returncode == 2 and "transition-dose" in r.stderr, "LQ-L without dT: exit 2")
        r = run("eqd2", "--dose", rd, "--fractions", "35", "--structures", rs,
                "--ab", "NoSuchOrgan=2", "--ab-default", "3", "-o", out)
        check(r.returncode == 2 and "NoSuchOrgan" in r.stderr and "SpinalCord" in r.stderr,
              "unknown ROI names it and lists the ROIs", r.stderr)
        check(not os.path.exists(out), "no output after usage errors")

        # I/O error: exit 3
        r = run("eqd2", "--dose", os.path.join(work, "missing.dcm"), "--fractions", "5",
                "--ab", "3", "-o", out)
        check(r.returncode == 3 and "missing.dcm" in r.stderr, "missing input: exit 3 naming it")

        # malformed input: exit 4, message with file and offset, nothing written
        bad = os.path.join(work, "truncated.dcm")
        with open(rd, "rb") as f:
            data = f.read()
        with open(bad, "wb") as f:
            f.write(data[: len(data) // 3])
        r = run("eqd2", "--dose", bad, "--fractions", "5", "--ab", "3", "-o", out)
        check(r.returncode == 4 and "truncated.dcm" in r.stderr, "truncated RTDOSE: exit 4",
              r.stderr)
        check(not os.path.exists(out), "no output after a failed conversion")
        leftovers = [f for f in os.listdir(work) if ".tmp." in f]
        check(not leftovers, "no temporary files left", str(leftovers))
        r = run("info", bad)
        check(r.returncode == 4 and "ERROR" in r.stdout, "info on a truncated file: exit 4")

        # a valid conversion
        r = run("eqd2", "--dose", rd, "--plan", rp, "--structures", rs, "--ab", "SpinalCord=2",
                "--ab-default", "3", "-o", out)
        check(r.returncode == 0 and os.path.exists(out), "eqd2 with per-ROI alpha/beta", r.stderr)
        check("SpinalCord" in r.stdout and "35 fx" in r.stdout,
              "eqd2 summary states ROI, alpha/beta and fractions", r.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    RERT = os.path.abspath(sys.argv[1])
    sys.exit(main())

#!/usr/bin/python3
"""End-to-end check of `rert demo` / `rert assess` (project issue 5):

- the demo writes every output, report.json is complete;
- the demo maps course 1 deformably (no folding, summation level L4), and
  its cumulative cord D0.03cc is within 1 Gy of the generator's truth;
- the report has the inverse consistency of that mapping (no pass/fail) and
  the landmark TRE from the demo's landmark file: within TG-132 and below
  the TRE of the rigid part alone; bad landmark files fail naming the label
  or the line and column;
- the cumulative spinal cord D0.03cc (EQD2, alpha/beta 2) agrees within 1 Gy
  with an independent NumPy computation from the exported DICOM grids and
  the generator's known transform;
- the exported RTDOSE files pass dciodvfy and load in pydicom;
- bad case files (patient mismatch, impossible date, zero fractions, a
  missing file) give clear errors and write nothing;
- headless Chromium renders report.html with its sections and images.

usage: demo_test.py RERT_EXECUTABLE
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

failures = 0


def check(ok, what, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else "  [%s]" % detail))
    failures += 0 if ok else 1


def run(*args, **kw):
    return subprocess.run([RERT, *args], capture_output=True, text=True, **kw)


def dose_grid(path):
    ds = pydicom.dcmread(path)
    d = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
    iop = np.array(ds.ImageOrientationPatient, float)
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    ipp = np.array(ds.ImagePositionPatient, float)
    dy, dx = (float(v) for v in ds.PixelSpacing)
    off = np.array(ds.GridFrameOffsetVector, float)
    return d, ipp, row, col, normal, dx, dy, off


def trilinear(grid, pts):
    d, ipp, row, col, normal, dx, dy, off = grid
    rel = pts - ipp
    i = rel @ row / dx
    j = rel @ col / dy
    k = (rel @ normal - off[0]) / (off[1] - off[0])
    nk, nj, ni = d.shape
    out = np.zeros(len(pts))
    inside = (i >= 0) & (i <= ni - 1) & (j >= 0) & (j <= nj - 1) & (k >= 0) & (k <= nk - 1)
    i, j, k = i[inside], j[inside], k[inside]
    i0 = np.minimum(np.floor(i).astype(int), ni - 2)
    j0 = np.minimum(np.floor(j).astype(int), nj - 2)
    k0 = np.minimum(np.floor(k).astype(int), nk - 2)
    fi, fj, fk = i - i0, j - j0, k - k0
    v = 0.0
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                w = (fi if a else 1 - fi) * (fj if b else 1 - fj) * (fk if c else 1 - fk)
                v = v + w * d[k0 + c, j0 + b, i0 + a]
    out[inside] = v
    return out


def inside_polygon(px, py, poly):
    """Even-odd rule, vectorised over points."""
    x, y = poly[:, 0], poly[:, 1]
    res = np.zeros(px.shape, bool)
    n = len(poly)
    for e in range(n):
        x1, y1, x2, y2 = x[e], y[e], x[(e + 1) % n], y[(e + 1) % n]
        cross = ((y1 > py) != (y2 > py))
        xint = x1 + (py - y1) * (x2 - x1) / np.where(y2 == y1, 1e-30, y2 - y1)
        res ^= cross & (px < xint)
    return res


def cord_samples(rs_path, step=0.25, layers=6):
    ds = pydicom.dcmread(rs_path)
    number = [r.ROINumber for r in ds.StructureSetROISequence if r.ROIName == "SpinalCord"][0]
    contours = [c for rc in ds.ROIContourSequence if rc.ReferencedROINumber == number
                for c in rc.ContourSequence]
    planes = {}
    for c in contours:
        pts = np.array(c.ContourData, float).reshape(-1, 3)
        planes.setdefault(round(pts[0, 2], 3), []).append(pts)
    zs = sorted(planes)
    spacing = np.median(np.diff(zs))
    points = []
    for z in zs:
        for poly in planes[z]:
            xs = np.arange(poly[:, 0].min(), poly[:, 0].max(), step) + step / 2
            ys = np.arange(poly[:, 1].min(), poly[:, 1].max(), step) + step / 2
            gx, gy = np.meshgrid(xs, ys)
            m = inside_polygon(gx.ravel(), gy.ravel(), poly[:, :2])
            for layer in range(layers):
                dz = (layer + 0.5) / layers * spacing - spacing / 2
                points.append(np.column_stack([gx.ravel()[m], gy.ravel()[m],
                                               np.full(m.sum(), z + dz)]))
    pts = np.vstack(points)
    weight_cc = step * step * spacing / layers / 1000.0
    return pts, weight_cc


def d_at_cc(values, weight_cc, cc):
    v = np.sort(values)[::-1]
    cum = np.arange(1, len(v) + 1) * weight_cc
    return float(np.interp(cc, cum, v))


def eqd2(d, n, ab):
    return d * (d / n + ab) / (2 + ab)


def check_registration(report, truth):
    course1 = [c for c in report["courses"] if c["name"] == "course1"][0]
    check(course1["registration"].startswith("deformable"),
          "the demo maps course 1 deformably: " + course1["registration"])
    check(course1.get("folded_fraction") == 0 and course1.get("jacobian_min", 0) > 0,
          "no folded voxels (Jacobian min %.3f)" % course1.get("jacobian_min", 0))
    check(report["classification"]["summation_level"] == "L4", "summation level L4 (deformable)")
    check(truth["course2_to_course1"]["deformation"]["peak_mm"] > 0,
          "the demo case has a deformation between courses")
    cord = [g for g in report.get("registration_quality", []) if g["structure"] == "SpinalCord"]
    check(len(cord) == 1 and cord[0]["dice"] > 0.9 and cord[0]["mean_surface_mm"] < 1.0,
          "propagated cord vs drawn cord: Dice %.3f, mean surface distance %.2f mm"
          % ((cord[0]["dice"], cord[0]["mean_surface_mm"]) if cord else (0, 0)))


def check_registration_checks(report, demo):
    """Inverse consistency and landmark TRE of the demo's deformable mapping
    (landmark pairs written from the generator's exact mapping)."""
    rows = [c for c in report.get("registration_checks", []) if c["course"] == "course1"]
    check(len(rows) == 1, "report.json has registration_checks for course1")
    if not rows:
        return
    ic = rows[0].get("inverse_consistency") or {}
    check(ic.get("voxels", 0) > 1000 and 0 < ic.get("mean_mm", -1) < 2.0
          and ic.get("p95_mm", -1) >= ic.get("mean_mm", 0) and ic.get("max_mm", -1) >= ic.get("p95_mm", 0),
          "inverse consistency reported: mean %.2f, p95 %.2f, max %.2f mm"
          % (ic.get("mean_mm", -1), ic.get("p95_mm", -1), ic.get("max_mm", -1)))
    check(ic.get("tolerance_mm", 0) is None and "no published numeric tolerance" in ic.get("tolerance_note", ""),
          "inverse consistency has no pass/fail (no published numeric tolerance)")
    tre = rows[0].get("landmark_tre") or {}
    rigid = tre.get("rigid_only") or {}
    lms = tre.get("landmarks", [])
    check(tre.get("count") == 10 and len(lms) == 10, "10 landmarks in the TRE (%s)" % tre.get("count"))
    check(tre.get("tolerance_mean_mm") == 2 and tre.get("tolerance_max_mm") == 5
          and tre.get("tolerance_evidence") == "V2", "TRE next to TG-132 (mean <= 2, max <= 5 mm, V2)")
    check(tre.get("passes_tg132") is True and tre.get("mean_mm", 9) < 2.0 and tre.get("max_mm", 9) < 5.0,
          "deformable TRE within TG-132: mean %.2f, max %.2f mm" % (tre.get("mean_mm", -1), tre.get("max_mm", -1)))
    check(rigid.get("mean_mm", 0) > tre.get("mean_mm", 9) + 0.5 and rigid.get("max_mm", 0) > tre.get("max_mm", 9),
          "deformable TRE below the rigid part's TRE (mean %.2f vs %.2f mm)"
          % (tre.get("mean_mm", -1), rigid.get("mean_mm", -1)))
    # Independent check of one landmark: the CSV rows, and the TRE the
    # reported error implies is consistent with the listed points.
    with open(os.path.join(demo, "case/landmarks_course1.csv")) as f:
        lines = f.read().splitlines()
    check(lines[0] == "label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z" and len(lines) == 11,
          "the demo wrote landmarks_course1.csv with a header and 10 rows")
    by_label = {l["label"]: l for l in lms}
    row = lines[1].split(",")
    lm = by_label.get(row[0], {})
    check(np.allclose(lm.get("reference_mm", [0, 0, 0]), [float(v) for v in row[1:4]])
          and np.allclose(lm.get("prior_mm", [0, 0, 0]), [float(v) for v in row[4:7]]),
          "landmark '%s' points in the report match the CSV" % row[0])


def check_register_landmarks(demo):
    """`rert register --landmarks` prints the TRE against TG-132 (rigid:
    the demo's neck deformation leaves up to about 4.5 mm)."""
    case = os.path.join(demo, "case")
    r = run("register", "--fixed", os.path.join(case, "course2/ct"), "--moving",
            os.path.join(case, "course1/ct"), "--landmarks",
            os.path.join(case, "landmarks_course1.csv"), "-q")
    m = re.search(r"landmark TRE, rigid: mean ([0-9.]+) mm, SD [0-9.]+ mm, max ([0-9.]+) mm "
                  r"\((\w+)\) over 10 landmarks; TG-132 \(mean <= 2, max <= 5 mm\): (pass|FAIL)",
                  r.stdout)
    check(r.returncode == 0 and m is not None and 0.5 < float(m.group(1)) < 3.0
          and m.group(3) in r.stdout.split("\n", 1)[1],
          "rert register --landmarks prints the rigid TRE with TG-132 pass/fail",
          (r.stdout + r.stderr)[:300])


def bad_landmarks(demo, work):
    """A landmark outside the planned CT: the error names the label."""
    path = os.path.join(demo, "case/landmarks_bad.csv")
    with open(path, "w") as f:
        f.write("label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z\n"
                "cord,0,38,0,0,38,0\nfar_away,0,0,900,0,0,900\n")
    bad_case(demo, work, "landmark_outside",
             lambda t: t.replace("landmarks: landmarks_course1.csv", "landmarks: landmarks_bad.csv"),
             4, "landmark 'far_away'")
    with open(path, "w") as f:
        f.write("label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z\ncord,0,38,zero,0,38,0\n")
    bad_case(demo, work, "landmark_not_number",
             lambda t: t.replace("landmarks: landmarks_course1.csv", "landmarks: landmarks_bad.csv"),
             4, "landmarks_bad.csv:2: column 4 (ref_z)")


def check_cord(demo, truth):
    c1 = dose_grid(os.path.join(demo, "case/course1/RD.dcm"))
    c2 = dose_grid(os.path.join(demo, "case/course2/RD.dcm"))
    pts, w = cord_samples(os.path.join(demo, "case/course2/RS.dcm"))
    t = np.array(truth["course2_to_course1"]["matrix"])
    p1 = (np.column_stack([pts, np.ones(len(pts))]) @ t.T)[:, :3]
    cum = eqd2(trilinear(c1, p1), 35, 2.0) + eqd2(trilinear(c2, pts), 30, 2.0)
    independent = d_at_cc(cum, w, 0.03)
    rows = list(csv_rows(os.path.join(demo, "report/dvh.csv")))
    ours = [float(r["cumulative_eqd2_gy"]) for r in rows
            if r["roi"] == "SpinalCord" and r["metric"] == "D0.03cc" and float(r["alpha_beta_gy"]) == 2.0]
    check(len(ours) == 1 and abs(ours[0] - independent) <= 1.0,
          "cumulative cord D0.03cc %.2f Gy vs independent NumPy %.2f Gy (<= 1 Gy)"
          % (ours[0] if ours else float("nan"), independent))
    want = truth["cord_cumulative"]["eqd2_d003cc_gy"]
    check(len(ours) == 1 and abs(ours[0] - want) <= 1.0,
          "deformable: cumulative cord D0.03cc %.2f Gy vs the generator's truth %.2f Gy (<= 1 Gy)"
          % (ours[0] if ours else float("nan"), want))


def csv_rows(path):
    import csv
    with open(path, newline="") as f:
        yield from csv.DictReader(f)


def check_outputs(demo):
    out = os.path.join(demo, "report")
    for name in ("report.html", "report.json", "dvh.csv", "cumulative_eqd2.dcm", "budget_30fx.dcm"):
        check(os.path.exists(os.path.join(out, name)), "output %s written" % name)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    check(report.get("schema_version") == 1, "report.json schema_version 1")
    check(report["classification"]["category"] == "TYPE_1",
          "classified TYPE_1 (overlap of irradiated volumes)")
    items = report["mandatory_reporting_items"]
    check(len(items) == 10 and all(v == "present" for v in items.values()),
          "all 10 mandatory reporting items present in the demo")
    statuses = {c["status"] for c in report["constraints"]}
    check("fail" in statuses or "pass" in statuses, "constraints evaluated")
    for name in ("cumulative_eqd2.dcm", "budget_30fx.dcm"):
        ds = pydicom.dcmread(os.path.join(out, name))
        check(ds.Modality == "RTDOSE" and ds.pixel_array.size > 0, "%s loads in pydicom" % name)
        if shutil.which("dciodvfy"):
            r = subprocess.run(["dciodvfy", os.path.join(out, name)], capture_output=True, text=True)
            errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")]
            check(not errors, "%s passes dciodvfy" % name, "; ".join(errors[:3]))
    cum = pydicom.dcmread(os.path.join(out, "cumulative_eqd2.dcm"))
    check(cum.DoseSummationType == "MULTI_PLAN" and cum.DoseType == "EFFECTIVE",
          "cumulative RTDOSE is EFFECTIVE / MULTI_PLAN")
    return report


def bad_case(demo, work, name, edit, want_rc, want_text):
    with open(os.path.join(demo, "case/case.yaml")) as f:
        text = f.read()
    bad = os.path.join(demo, "case", name + ".yaml")
    with open(bad, "w") as f:
        f.write(edit(text))
    out = os.path.join(work, "report-" + name)
    r = run("assess", "-q", bad, "-o", out)
    check(r.returncode == want_rc and want_text in r.stderr and not os.path.exists(out),
          "%s: exit %d, message names it, nothing written" % (name, want_rc),
          "rc=%d %s" % (r.returncode, r.stderr.strip()[:200]))


def check_bad_cases(demo, work):
    bad_case(demo, work, "patient_mismatch",
             lambda t: t.replace("id: RERT-DEMO-001", "id: SOMEONE-ELSE"), 4, "PatientID")
    bad_case(demo, work, "impossible_date",
             lambda t: t.replace("end_date: 2023-02-24", "end_date: 2023-02-30"), 4,
             "impossible date")
    bad_case(demo, work, "zero_fractions",
             lambda t: t.replace("    prescription_gy: 70\n",
                                 "    prescription_gy: 70\n    fractions: 0\n"), 4, "fractions")
    bad_case(demo, work, "missing_file",
             lambda t: t.replace("rtdose: course1/RD.dcm", "rtdose: course1/nothere.dcm"), 3,
             "nothere.dcm")


def check_chromium(demo):
    chromium = shutil.which("chromium")
    if chromium is None:
        print("SKIP chromium not installed")
        return
    html = os.path.join(demo, "report/report.html")
    profile = tempfile.mkdtemp(prefix="rert-chromium-")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + profile]
    try:
        r = subprocess.run([chromium, *flags, "--dump-dom", "file://" + html],
                           capture_output=True, text=True, timeout=120)
        dom = r.stdout
        for section in ("Category: TYPE_1", "mandatory reporting items", "Courses and assumptions",
                        "Cumulative constraints", "Remaining budget", "Dose-volume histograms",
                        "Cumulative EQD2 over the planned CT"):
            check(section in dom, "chromium renders section '%s'" % section)
        check("<svg" in dom, "chromium DOM has the SVG DVH plot")
        imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', dom)
        good = [base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in imgs]
        check(len(imgs) == 3 and all(good), "three PNG dose washes embedded (%d)" % len(imgs))
        shot = os.path.join(profile, "shot.png")
        subprocess.run([chromium, *flags, "--window-size=1200,2000", "--screenshot=" + shot,
                        "file://" + html], capture_output=True, timeout=120)
        check(os.path.exists(shot) and os.path.getsize(shot) > 20000,
              "chromium screenshot of the report is not blank")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def check_reporting(report, demo):
    """Review findings 2, 3, 6, 8, 12: the organ dose table lists
    unconstrained organs, every mandatory item shown as present has its
    content in the report, the TG-132 criterion is labelled as the
    deformable one and judged only on the mapping used, the budget RTDOSE
    says it is not a plan dose."""
    organs = {o["roi"]: o for o in report.get("organ_doses", [])}
    for name in ("Carotid_R", "Parotid_L", "Mandible", "SpinalCord"):
        dmax = organs.get(name, {}).get("metrics", {}).get("Dmax", {})
        check(np.isfinite(dmax.get("cumulative_eqd2_gy", float("nan"))),
              "organ_doses has %s with a cumulative Dmax (%s)" % (name, dmax.get("cumulative_eqd2_gy")))
    check(any(not o["has_constraint"] for o in organs.values()),
          "organ_doses lists organs without a library constraint")
    cord = organs.get("SpinalCord", {}).get("metrics", {}).get("Dmax", {})
    pri, pla, cum = (cord.get(k, float("nan")) for k in
                     ("prior_eqd2_gy", "planned_eqd2_gy", "cumulative_eqd2_gy"))
    check(max(pri, pla) - 1e-3 <= cum <= pri + pla + 1e-3,
          "cord Dmax: max(prior, planned) <= cumulative <= prior + planned (%s, %s, %s)"
          % (pri, pla, cum))
    rows = list(csv_rows(os.path.join(demo, "report/dvh.csv")))
    csv_cum = [float(r["cumulative_eqd2_gy"]) for r in rows
               if r["roi"] == "Carotid_R" and r["metric"] == "Dmax"
               and float(r["alpha_beta_gy"]) == organs.get("Carotid_R", {}).get("alpha_beta_gy")]
    want = organs.get("Carotid_R", {}).get("metrics", {}).get("Dmax", {}).get("cumulative_eqd2_gy")
    check(len(csv_cum) == 1 and want is not None and abs(csv_cum[0] - want) < 1e-4,
          "report.json Carotid_R Dmax equals dvh.csv (%s vs %s)" % (want, csv_cum))
    artefacts = [r["cumulative_eqd2_gy"] for r in rows if r["metric"] == "Dmax"
                 and len(r["cumulative_eqd2_gy"].split(".")[-1]) > 8]
    check(not artefacts, "float-derived Dmax values have no float artefacts in dvh.csv", str(artefacts[:3]))
    items = report["mandatory_reporting_items"]
    content = report.get("mandatory_reporting_content", {})
    check(all(content.get(k) for k, v in items.items() if v == "present"),
          "every present mandatory item has its content in the report")
    with open(os.path.join(demo, "case/case.yaml")) as f:
        case = f.read()
    age = re.search(r"age_years:\s*(\d+)", case)
    check(age is not None and ("age %s years" % age.group(1)) in content.get("demographics", ""),
          "demographics shown: %s" % content.get("demographics"))
    check("CTCAE v" in content.get("toxicity_ctcae", "") and "grade" in content.get("toxicity_ctcae", ""),
          "toxicity scale and events shown: %s" % content.get("toxicity_ctcae"))
    check("Gy per fraction" in content.get("technique_and_dose", "")
          and "imaging used" in content.get("summation_method", ""),
          "technique/dose per fraction and imaging shown")
    tre = [c for c in report.get("registration_checks", []) if c["course"] == "course1"]
    tre = (tre[0].get("landmark_tre") or {}) if tre else {}
    check(tre.get("criterion", "").startswith("TG-132 criterion for deformable registration")
          and "passes_tg132" not in (tre.get("rigid_only") or {"passes_tg132": 1}),
          "TG-132 landmark criterion labelled deformable; rigid part has no pass/fail")
    with open(os.path.join(demo, "report/report.html")) as f:
        html = f.read()
    check("Cumulative organ doses" in html and "Carotid_R" in html, "report.html has the organ dose table")
    check(re.search(r"rigid part alone: mean [0-9.]+, max [0-9.]+ mm \(\d+ landmarks; for comparison, no pass/fail\)",
                    html) is not None and "within TG-132" not in html,
          "report.html: rigid part alone without pass/fail")
    check(not re.search(r"\d\.\d{3,} months", html), "months shown with 1 decimal in report.html")
    budget = pydicom.dcmread(os.path.join(demo, "report/budget_30fx.dcm"))
    check("NOT A PLAN DOSE" in str(budget.SeriesDescription) and "NOT A PLAN DOSE" in str(budget.DoseComment),
          "budget RTDOSE says it is not a plan dose")


def crop_dose_z(path, keep):
    """Keep the frames whose patient z satisfies keep(z) (contiguous)."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    iop = np.array(ds.ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    ipp = np.array(ds.ImagePositionPatient, float)
    off = np.array(ds.GridFrameOffsetVector, float)
    z = ipp[2] + off * normal[2]
    idx = np.nonzero([keep(v) for v in z])[0]
    i0, i1 = int(idx.min()), int(idx.max()) + 1
    ds.PixelData = np.ascontiguousarray(arr[i0:i1]).tobytes()
    ds.NumberOfFrames = i1 - i0
    ds.ImagePositionPatient = [float(v) for v in ipp + off[i0] * normal]
    ds.GridFrameOffsetVector = [float(v) for v in off[i0:i1] - off[i0]]
    ds.save_as(path)


def check_outside_grid(demo, work):
    """Finding 4: course 1's RTDOSE cropped in z to the lower half of the
    planned cord: a per-organ warning names the cord and its share."""
    case = os.path.join(work, "cropped")
    shutil.copytree(os.path.join(demo, "case"), case)
    pts, w = cord_samples(os.path.join(case, "course2/RS.dcm"))
    z_mid = float(np.median(pts[:, 2]))
    crop_dose_z(os.path.join(case, "course1/RD.dcm"), lambda z: z <= z_mid)
    out = os.path.join(work, "report-cropped")
    r = run("assess", "-q", os.path.join(case, "case.yaml"), "-o", out)
    check(r.returncode in (0, 1), "assess runs on the cropped case (exit %d)" % r.returncode, r.stderr[:300])
    if r.returncode not in (0, 1):
        return
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    pat = re.compile(r"^SpinalCord: ([0-9.]+) % of its volume lies outside course1's dose grid "
                     r"\(prior dose 0 there")
    hits = [pat.match(x) for x in report["warnings"]]
    pct = [float(m.group(1)) for m in hits if m]
    check(len(pct) == 1 and 20 <= pct[0] <= 80,
          "per-organ outside-grid warning for SpinalCord (%s %%)" % pct,
          "; ".join(report["warnings"])[:400])
    with open(os.path.join(demo, "report/report.json")) as f:
        base = json.load(f)
    check(not any(x.startswith("SpinalCord:") for x in base["warnings"]),
          "no cord outside-grid warning on the uncropped demo")


def main():
    work = tempfile.mkdtemp(prefix="rert-e2e-")
    try:
        demo = os.path.join(work, "demo")
        r = run("demo", "-q", "-o", demo)
        check(r.returncode in (0, 1), "rert demo runs (exit %d)" % r.returncode, r.stderr)
        if r.returncode not in (0, 1):
            return 1
        report = check_outputs(demo)
        with open(os.path.join(demo, "case/truth.json")) as f:
            truth = json.load(f)
        check_registration(report, truth)
        check_registration_checks(report, demo)
        check_register_landmarks(demo)
        check_cord(demo, truth)
        check_reporting(report, demo)
        check_outside_grid(demo, work)
        check_bad_cases(demo, work)
        bad_landmarks(demo, work)
        check_chromium(demo)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    RERT = os.path.abspath(sys.argv[1])
    sys.exit(main())

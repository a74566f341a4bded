#!/usr/bin/python3
"""DVH accuracy and speed: rert against the Nelms analytical data set and
against dicompyler-core and plastimatch, run in the same script.

usage: dvh_nelms.py RERT_BINARY SHARED_DATA_DIR WORK_DIR [--skip-peers]
                    [--skip-speed] [--rows N]

Accuracy: all 90 rows of nelms-dvh/analytical.csv; per-row errors in
percent of the analytical value for volume, Dmean, D95 and D5 (plus D99,
D1, D0.03cc for rert), and the summary (mean |error|, max |error|).
Speed: a generated clinical-size case (25 ROIs on 2.5 mm slices, dose grid
2.5 mm over the body), wall time and peak memory (max RSS) of each tool.
Markdown goes to stdout and WORK_DIR/dvh_results.md.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

METRICS = ["volume", "dmean", "d95", "d5"]
CSV_COL = {"volume": "volume_cc", "dmean": "dmean_gy", "d95": "d95_gy",
           "d5": "d5_gy", "d99": "d99_gy", "d1": "d1_gy",
           "d003": "d0.03cc_gy"}


def run_measured(cmd, **kw):
    """Run cmd; return (wall seconds, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, **kw)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr.decode()[-2000:]))
    return wall, p.stdout.decode()


def rss_of(cmd):
    """Peak RSS (MiB) of cmd via /usr/bin/time when present."""
    if not os.path.exists("/usr/bin/time"):
        return None
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd,
                       capture_output=True, text=True)
    try:
        return int(p.stderr.strip().splitlines()[-1]) / 1024.0
    except (ValueError, IndexError):
        return None


# ---- tools on one Nelms row

def rert_row(rert, rs, rd):
    out = subprocess.run(
        [rert, "dvh", "--dose", rd, "--structures", rs, "--roi", "2",
         "--metrics", "D95%,D5%,D99%,D1%,D0.03cc", "--format", "json",
         "--curve-step", "1000"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)["rois"][0]
    return {"volume": r["volume_cc"], "dmean": r["mean_gy"],
            "d95": r["D95%"], "d5": r["D5%"], "d99": r["D99%"],
            "d1": r["D1%"], "d003": r["D0.03cc"]}


DICOMPYLER_SCRIPT = r"""
import json, sys
from dicompylercore import dvhcalc
out = []
for rs, rd, roi in json.loads(sys.argv[1]):
    d = dvhcalc.get_dvh(rs, rd, roi)
    out.append({"volume": float(d.volume), "dmean": float(d.mean),
                "d95": float(d.statistic("D95").value),
                "d5": float(d.statistic("D5").value)})
print(json.dumps(out))
"""


def dicompyler_rows(jobs):
    out = subprocess.run([sys.executable, "-c", DICOMPYLER_SCRIPT,
                          json.dumps(jobs)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def plm_dose(rd, work):
    img = os.path.join(work, os.path.basename(rd) + ".mha")
    if not os.path.exists(img):
        subprocess.run(["plastimatch", "convert", "--input", rd,
                        "--output-dose-img", img], capture_output=True,
                       check=True)
    return img


def plm_dvh_csv(rs, dose_img, work, tag):
    ss = os.path.join(work, tag + "_ss.mha")
    lst = os.path.join(work, tag + "_ss.txt")
    out = os.path.join(work, tag + "_dvh.csv")
    subprocess.run(["plastimatch", "convert", "--input", rs, "--fixed",
                    dose_img, "--output-ss-img", ss, "--output-ss-list", lst],
                   capture_output=True, check=True)
    subprocess.run(["plastimatch", "dvh", "--input-dose", dose_img,
                    "--input-ss-img", ss, "--input-ss-list", lst,
                    "--output-csv", out, "--normalization", "vox",
                    "--bin-width", "0.01", "--num-bins", "20000"],
                   capture_output=True, check=True)
    return out


def mha_voxel_cc(img):
    with open(img, "rb") as f:
        head = f.read(2000).decode("latin-1")
    for line in head.splitlines():
        if line.startswith("ElementSpacing"):
            s = [float(v) for v in line.split("=")[1].split()]
            return s[0] * s[1] * s[2] / 1000.0
    raise RuntimeError("no ElementSpacing in " + img)


def cumulative_metrics(dose, counts, voxel_cc):
    """Volume, mean, D95, D5 from a cumulative voxel-count DVH
    (bins of equal width, interpolated)."""
    counts = np.asarray(counts, float)
    total = counts[0]
    if total <= 0:
        return None
    width = dose[1] - dose[0]
    diff = counts - np.append(counts[1:], 0.0)
    mean = float(np.sum(diff * (np.asarray(dose) + 0.5 * width)) / total)

    def d_at(frac):
        target = frac * total
        idx = np.nonzero(counts >= target)[0][-1]
        return float(dose[idx])
    return {"volume": total * voxel_cc, "dmean": mean, "d95": d_at(0.95),
            "d5": d_at(0.05)}


def plastimatch_row(rs, rd, work, tag):
    img = plm_dose(rd, work)
    path = plm_dvh_csv(rs, img, work, tag)
    with open(path) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    col = len(head) - 1  # ROI 2 is the last structure of the Nelms files
    dose = [float(r[0]) for r in rows[1:]]
    counts = [float(r[col]) for r in rows[1:]]
    return cumulative_metrics(dose, counts, mha_voxel_cc(img))


# ---- accuracy report

def pct(a, b):
    return 100.0 * (a / b - 1.0)


def summarise(name, errs, keys):
    lines = []
    for k in keys:
        e = np.array([x[k] for x in errs if x is not None and k in x])
        lines.append("| %s | %s | %.3f | %.3f | %.3f | %d |" % (
            name, k, np.mean(np.abs(e)), np.max(np.abs(e)), np.mean(e),
            len(e)))
    return lines


def accuracy(rert, data, work, skip_peers, limit):
    nelms = os.path.join(data, "nelms-dvh")
    with open(os.path.join(nelms, "analytical.csv")) as f:
        rows = list(csv.DictReader(f))[:limit]
    jobs = [(os.path.join(nelms, r["structure_file"]),
             os.path.join(nelms, r["dose_file"]), int(r["roi_number"]))
            for r in rows]
    tools = {"rert": [rert_row(rert, rs, rd) for rs, rd, _ in jobs]}
    if not skip_peers:
        tools["dicompyler-core"] = dicompyler_rows(jobs)
        tools["plastimatch"] = [
            plastimatch_row(rs, rd, work, "row%d" % i)
            for i, (rs, rd, _) in enumerate(jobs)]
    errors = {}
    for tool, res in tools.items():
        errs = []
        for r, got in zip(rows, res):
            if got is None:
                errs.append(None)
                continue
            errs.append({k: pct(got[k], float(r[CSV_COL[k]]))
                         for k in got if k in CSV_COL})
        errors[tool] = errs
    return rows, errors


def accuracy_markdown(rows, errors):
    out = ["### Summary (error in % of the analytical value)", "",
           "| tool | metric | mean abs | max abs | mean signed | rows |",
           "|---|---|---|---|---|---|"]
    for tool, errs in errors.items():
        keys = METRICS + (["d99", "d1", "d003"] if tool == "rert" else [])
        out += summarise(tool, errs, keys)
    tools = list(errors)
    short = {"rert": "rert", "dicompyler-core": "dcmp", "plastimatch": "plm"}
    head = "| structure | dose |"
    rule = "|---|---|"
    for k in METRICS:
        for t in tools:
            head += " %s %s |" % (k, short.get(t, t))
            rule += "---|"
    out += ["", "### Per row (error %; dcmp = dicompyler-core, plm = "
            "plastimatch)", "", head, rule]
    for i, r in enumerate(rows):
        cells = []
        for k in METRICS:
            for t in tools:
                e = errors[t][i]
                cells.append("n/a" if e is None else "%.2f" % e[k])
        out.append("| %s | %s | %s |" % (
            os.path.basename(r["structure_file"])[:-4],
            os.path.basename(r["dose_file"])[:-4], " | ".join(cells)))
    return out


# ---- speed on a generated clinical-size case

def speed(rert, work, skip_peers):
    rd, rs, nroi = generate_case(work)
    out = ["### Speed: generated case, %d ROIs, 2.5 mm slices, 2.5 mm dose "
           "grid" % nroi, "",
           "Wall time including reading the DICOM files; best of 3 runs "
           "for rert and plastimatch, one run for dicompyler-core. "
           "Peak RSS from /usr/bin/time.", "",
           "| tool | wall s | peak RSS MiB |", "|---|---|---|"]
    cmd = [rert, "dvh", "--dose", rd, "--structures", rs,
           "--metrics", "D0.03cc,D95%,V20Gy", "-o",
           os.path.join(work, "speed.csv")]
    t = min(run_measured(cmd)[0] for _ in range(3))
    results = {"rert": t}
    out.append("| rert dvh (all ROIs, %d threads) | %.3f | %s |" % (
        os.cpu_count(), t, fmt(rss_of(cmd))))
    env1 = dict(os.environ, OMP_NUM_THREADS="1")
    t1 = min(run_measured(cmd, env=env1)[0] for _ in range(3))
    out.append("| rert dvh (1 thread) | %.3f | %s |" % (t1, ""))
    if not skip_peers:
        script = DICOMPYLER_SCRIPT
        jobs = [(rs, rd, i + 1) for i in range(nroi)]
        dcmd = [sys.executable, "-c", script, json.dumps(jobs)]
        td = run_measured(dcmd)[0]
        out.append("| dicompyler-core get_dvh (all ROIs) | %.3f | %s |" % (
            td, fmt(rss_of(dcmd))))
        tp = None
        for run in range(3):
            pw = os.path.join(work, "plm_speed%d" % run)
            os.makedirs(pw, exist_ok=True)
            for name in os.listdir(pw):
                os.remove(os.path.join(pw, name))
            t0 = time.perf_counter()
            img = plm_dose(rd, pw)
            plm_dvh_csv(rs, img, pw, "speed")
            dt = time.perf_counter() - t0
            tp = dt if tp is None else min(tp, dt)
        out.append("| plastimatch convert (dose, RTSTRUCT) + dvh | %.3f | "
                   "%s |" % (tp, fmt(rss_of(
                       ["plastimatch", "convert", "--input", rs, "--fixed",
                        img, "--output-ss-img",
                        os.path.join(pw, "s2.mha")]))))
        out.append("")
        out.append("rert is %.1fx faster than dicompyler-core and %.1fx "
                   "faster than plastimatch (peak RSS of plastimatch is its "
                   "RTSTRUCT conversion step)." % (td / t, tp / t))
        out.append("")
        out.append("Machine: %d CPUs (%s)." % (os.cpu_count(), machine()))
    return out



# ---- a generated clinical-size case (pydicom)

def _ellipsoid(c, r, z):
    t = (z - c[2]) / r[2]
    if abs(t) >= 1.0:
        return None
    s = np.sqrt(1.0 - t * t)
    return (c[0], c[1], r[0] * s, r[1] * s)


def _prism(c, r, z):
    if abs(z - c[2]) > r[2]:
        return None
    return (c[0], c[1], r[0], r[1])


def case_rois():
    """25 ROIs: (name, shape, centre mm, radii mm, hole radii or None)."""
    e, p = _ellipsoid, _prism
    return [
        ("BODY", p, (0, 0, 0), (180, 120, 150), None),
        ("Lung_L", e, (75, -10, 40), (55, 70, 110), None),
        ("Lung_R", e, (-75, -10, 40), (60, 75, 115), None),
        ("Heart", e, (20, 30, -10), (50, 45, 55), None),
        ("SpinalCord", p, (0, 75, 0), (6, 6, 150), None),
        ("Esophagus", p, (5, 50, 10), (9, 8, 120), None),
        ("Trachea", p, (0, 20, 100), (10, 10, 50), None),
        ("Aorta", p, (-20, 45, 20), (14, 14, 110), None),
        ("Liver", e, (-60, 10, -110), (80, 70, 45), None),
        ("Stomach", e, (60, 10, -110), (45, 35, 35), None),
        ("Spleen", e, (95, 45, -110), (25, 30, 35), None),
        ("Kidney_L", e, (70, 70, -140), (25, 30, 20), None),
        ("Kidney_R", e, (-70, 70, -140), (25, 30, 20), None),
        ("GTV", e, (40, -20, 40), (20, 18, 22), None),
        ("CTV", e, (40, -20, 40), (28, 26, 30), None),
        ("PTV", e, (40, -20, 40), (35, 33, 37), None),
        ("PTV_Ring", e, (40, -20, 40), (55, 53, 57), (37, 35, 39)),
        ("Lesion_small", e, (-50, -40, 60), (5, 5, 5), None),
        ("Brachial_L", p, (90, 40, 130), (8, 8, 20), None),
        ("Brachial_R", p, (-90, 40, 130), (8, 8, 20), None),
        ("Sternum", p, (0, -95, 30), (20, 8, 80), None),
        ("Rib_region", p, (120, 0, 30), (12, 60, 90), None),
        ("Thyroid", e, (0, -10, 140), (25, 12, 10), None),
        ("Bowel", e, (0, -20, -135), (90, 60, 15), None),
        ("Carina_pt", e, (0, 25, 55), (4, 4, 4), None),
    ]


def _contour(cx, cy, ax, ay, z, n=128):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t),
                    np.full(n, z)], axis=1)
    return [float("%.3f" % v) for v in pts.ravel()]


def generate_case(work):
    import pydicom
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    rd_path = os.path.join(work, "case_RD.dcm")
    rs_path = os.path.join(work, "case_RS.dcm")
    rois = case_rois()
    if os.path.exists(rd_path) and os.path.exists(rs_path):
        return rd_path, rs_path, len(rois)
    frame, study = generate_uid(), generate_uid()

    def base(sop_class, modality):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = modality
        ds.PatientID = "BENCH"
        ds.PatientName = "Bench^DVH"
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = generate_uid()
        ds.FrameOfReferenceUID = frame
        return ds

    # dose: 2.5 mm grid over the body, a smooth peak on the PTV
    sp = 2.5
    x = np.arange(-190.0, 190.0 + 1e-6, sp)
    y = np.arange(-130.0, 130.0 + 1e-6, sp)
    z = np.arange(-155.0, 155.0 + 1e-6, sp)
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")
    r2 = (xx - 40) ** 2 + (yy + 20) ** 2 + (zz - 40) ** 2
    dose = 2.0 + 64.0 * np.exp(-r2 / (2 * 30.0 ** 2)) + 0.02 * (yy + 130)
    scale = float(dose.max()) / 4.0e9
    ds = base("1.2.840.10008.5.1.4.1.1.481.2", "RTDOSE")
    ds.ImagePositionPatient = [float(x[0]), float(y[0]), float(z[0])]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [sp, sp]
    ds.Rows, ds.Columns, ds.NumberOfFrames = len(y), len(x), len(z)
    ds.GridFrameOffsetVector = [float(v - z[0]) for v in z]
    ds.FrameIncrementPointer = pydicom.tag.Tag(0x3004, 0x000C)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.PixelRepresentation = 0
    ds.DoseUnits, ds.DoseType, ds.DoseSummationType = "GY", "PHYSICAL", "PLAN"
    ds.DoseGridScaling = "%.6g" % scale
    ds.PixelData = np.round(dose / float(ds.DoseGridScaling)).astype(
        "<u4").tobytes()
    ds.save_as(rd_path, write_like_original=False)

    ss = base("1.2.840.10008.5.1.4.1.1.481.3", "RTSTRUCT")
    ss.StructureSetLabel = "BENCH"
    ref = Dataset()
    ref.FrameOfReferenceUID = frame
    ss.ReferencedFrameOfReferenceSequence = Sequence([ref])
    ss.StructureSetROISequence = Sequence()
    ss.ROIContourSequence = Sequence()
    ss.RTROIObservationsSequence = Sequence()
    slices = np.arange(-150.0, 150.0 + 1e-6, 2.5)
    for i, (name, shape, c, r, hole) in enumerate(rois, start=1):
        item = Dataset()
        item.ROINumber, item.ROIName = i, name
        item.ReferencedFrameOfReferenceUID = frame
        item.ROIGenerationAlgorithm = "MANUAL"
        ss.StructureSetROISequence.append(item)
        rc = Dataset()
        rc.ReferencedROINumber = i
        rc.ROIDisplayColor = [255, 0, 0]
        rc.ContourSequence = Sequence()
        for zc in slices:
            for cr, use in ((r, True), (hole, hole is not None)):
                if not use:
                    continue
                e = shape(c, cr, zc)
                if e is None:
                    continue
                ci = Dataset()
                ci.ContourGeometricType = "CLOSED_PLANAR"
                data = _contour(e[0], e[1], e[2], e[3], zc)
                ci.NumberOfContourPoints = len(data) // 3
                ci.ContourData = data
                rc.ContourSequence.append(ci)
        ss.ROIContourSequence.append(rc)
        ob = Dataset()
        ob.ObservationNumber = i
        ob.ReferencedROINumber = i
        ob.RTROIInterpretedType = "ORGAN"
        ob.ROIInterpreter = ""
        ss.RTROIObservationsSequence.append(ob)
    ss.save_as(rs_path, write_like_original=False)
    return rd_path, rs_path, len(rois)


def machine():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def fmt(x):
    return "" if x is None else "%.0f" % x


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    rert, data, work = args[:3]
    skip_peers = "--skip-peers" in args
    skip_speed = "--skip-speed" in args
    limit = int(args[args.index("--rows") + 1]) if "--rows" in args else None
    os.makedirs(work, exist_ok=True)
    rows, errors = accuracy(rert, data, work, skip_peers, limit)
    md = ["## DVH accuracy (generated by bench/dvh_nelms.sh)", ""]
    md += accuracy_markdown(rows, errors)
    if not skip_speed:
        md += [""] + speed(rert, work, skip_peers)
    text = "\n".join(md) + "\n"
    with open(os.path.join(work, "dvh_results.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    e = [x for x in errors["rert"]]
    ok = (np.mean([abs(x["volume"]) for x in e]) <= 1.0 and
          np.mean([abs(x["dmean"]) for x in e]) <= 0.5 and
          np.mean([abs(x["d95"]) for x in e]) <= 2.0 and
          np.mean([abs(x["d5"]) for x in e]) <= 2.0 and
          max(abs(x["volume"]) for x in e) <= 3.0 and
          max(abs(x["dmean"]) for x in e) <= 3.0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""`rert assess` variants on the demo's case file over a rigid (undeformed)
phantom (project issue 5):

- automatic rigid registration recovers the known transform within 1 mm
  (over the body) and 0.5 degrees;
- consult before planning: the planned course has no RTDOSE -> prior
  cumulative dose, budget and classification from the target alone;
- a DICOM Spatial Registration (written here with pydicom from the
  generator's known transform) instead of automatic registration gives the
  same cord dose within 0.3 Gy;
- a prior course known only on paper (DVH-level entries, level L1) adds
  exactly its EQD2 to the organ metric;
- LQ-L with a transition dose lowers the cumulative EQD2 where doses per
  fraction exceed it, and the report states the model;
- constraints.site: head_neck (the demo) applies no thoracic limits and
  lists them in a warning, thorax applies them, no site applies every site
  with a warning; Nieder's 120 Gy2 entry is an observation, never 'fail';
  the recovery-adjusted row carries the weaker evidence tag and both
  sources; the cord budget row says which limit binds.

usage: assess_variants_test.py RERT_EXECUTABLE
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

failures = 0


def check(ok, what, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else "  [%s]" % detail))
    failures += 0 if ok else 1


def assess(case_text, demo, name):
    path = os.path.join(demo, "case", name + ".yaml")
    with open(path, "w") as f:
        f.write(case_text)
    out = os.path.join(demo, "report-" + name)
    r = subprocess.run([RERT, "assess", "-q", path, "-o", out], capture_output=True, text=True)
    check(r.returncode in (0, 1), "%s: assess completes (exit %d)" % (name, r.returncode),
          r.stderr.strip()[:300])
    return out


def metric(out, roi, name, ab=2.0, column="cumulative_eqd2_gy"):
    with open(os.path.join(out, "dvh.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["roi"] == roi and r["metric"] == name and abs(float(r["alpha_beta_gy"]) - ab) < 1e-9:
                return float(r[column])
    return float("nan")


def constraint_ids(out):
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    return sorted({c["id"] for c in rep["constraints"]}), rep["warnings"]


def site_checks_head_neck(out):
    """constraints.site head_neck (the demo case): thoracic limits listed in
    a warning, not applied; Nieder's 120 Gy2 is an observation; the
    recovery-adjusted row cites the recovery model and its weaker tag."""
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    ids = {c["id"] for c in rep["constraints"]}
    thoracic = ["cord-rulach2021-delphi", "cord-paradis2019", "cord-troost", "cord-ars"]
    check(not ids.intersection(thoracic) and "cord-nieder2006-cumulative" in ids
          and "brainstem-quantec-single-course" in ids,
          "head_neck: no thoracic cord limits; site-any cord and brainstem entries kept")
    check(any("site thorax" in w and all(t in w for t in thoracic) for w in rep["warnings"]),
          "head_neck: a warning lists the thoracic constraints not applied")
    norm = [c for c in rep["constraints"] if c["id"] == "cord-nieder2006-cumulative-no-rm"]
    check(norm and all(c["status"] in ("pass", "near_limit", "above_observation") for c in norm),
          "Nieder 120 Gy2 (no myelopathy reported) is an observation, never 'fail'",
          str([c["status"] for c in norm]))
    derived = [c for c in rep["constraints"] if c["id"] == "cord-quantec2010-single-course+recovery-A"]
    check(derived and all(c.get("evidence") == "V2" and "recovery: model 'nieder-cord'" in c.get("source", "")
                          for c in derived),
          "recovery-adjusted row: evidence V2 (weaker of V and nieder-cord's V2), both sources",
          str([(c.get("evidence"), c.get("source", "")[-80:]) for c in derived]))
    check(any("nieder-cord" in w and "convention B" in w for w in rep["warnings"]),
          "a warning says nieder-cord is a convention-B rule applied under convention A")
    caps = [b for b in rep["budget"]["organs"] if b["constraint"] == "cord-nieder2006-cumulative"]
    check(caps and all("binding:" in b["basis"] for b in caps),
          "cord budget row states which limit binds", str([b["basis"] for b in caps]))


def write_reg(path, ref_frame, moving_frame, ref_to_moving, patient_id):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "REG"
    ds.PatientID = patient_id
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = ref_frame
    # item matrices map each registered frame INTO the REG's own frame
    items = []
    for frame, m in ((ref_frame, np.eye(4)), (moving_frame, np.linalg.inv(ref_to_moving))):
        mat = Dataset()
        mat.FrameOfReferenceTransformationMatrixType = "RIGID"
        mat.FrameOfReferenceTransformationMatrix = [float("%.10g" % v) for v in m.ravel()]
        reg = Dataset()
        reg.MatrixSequence = [mat]
        item = Dataset()
        item.FrameOfReferenceUID = frame
        item.MatrixRegistrationSequence = [reg]
        items.append(item)
    ds.RegistrationSequence = items
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)


def main():
    work = tempfile.mkdtemp(prefix="rert-variants-")
    try:
        # the demo's case file on a rigid (undeformed) phantom with rigid_auto
        first = os.path.join(work, "first")
        r = subprocess.run([RERT, "demo", "-q", "-o", first], capture_output=True, text=True)
        check(r.returncode == 0, "rert demo", r.stderr)
        with open(os.path.join(first, "case/case.yaml")) as f:
            base = f.read().replace("{method: deformable_auto, landmarks: landmarks_course1.csv}",
                                    "{method: rigid_auto}")
        check("{method: rigid_auto}" in base, "the demo case file has its registration line")
        demo = os.path.join(work, "demo")
        os.makedirs(demo)
        r = subprocess.run([RERT, "phantom", "-q", "-o", os.path.join(demo, "case")],
                           capture_output=True, text=True)
        check(r.returncode == 0, "rert phantom (rigid)", r.stderr)
        with open(os.path.join(demo, "case/truth.json")) as f:
            truth = json.load(f)
        # landmark pairs from the known rigid transform: the TRE of the
        # automatic rigid mapping is its registration error at those points
        t = np.array(truth["course2_to_course1"]["matrix"])
        ref_pts = np.array([[0, 38, -10], [0, -10, 0], [40, 20, 30], [-45, 5, -40]], float)
        prior_pts = (np.column_stack([ref_pts, np.ones(4)]) @ t.T)[:, :3]
        with open(os.path.join(demo, "case", "lm.csv"), "w") as f:
            f.write("label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z\n")
            for i, (p, q) in enumerate(zip(ref_pts, prior_pts)):
                f.write("p%d,%s\n" % (i, ",".join("%.6f" % v for v in [*p, *q])))
        auto = assess(base.replace("{method: rigid_auto}", "{method: rigid_auto, landmarks: lm.csv}"),
                      demo, "rigid")
        with open(os.path.join(auto, "report.json")) as f:
            checks = json.load(f)["registration_checks"][0]
        tre = checks["landmark_tre"]
        check(tre["count"] == 4 and tre["max_mm"] < 1.0 and tre["passes_tg132"]
              and tre["rigid_only"] is None and checks["inverse_consistency"] is None,
              "rigid_auto: landmark TRE from the known transform (max %.3f mm), no IC"
              % tre["max_mm"])
        cord_auto = metric(auto, "SpinalCord", "D0.03cc")
        site_checks_head_neck(auto)
        with open(os.path.join(auto, "report.json")) as f:
            course1 = [c for c in json.load(f)["courses"] if c["name"] == "course1"][0]
        m = np.array(course1["reference_to_course_matrix"])
        t = np.array(truth["course2_to_course1"]["matrix"])
        g = np.mgrid[-60:61:10, -50:51:10, -60:61:10].reshape(3, -1).T
        ph = np.column_stack([g, np.ones(len(g))])
        diff = np.linalg.norm((ph @ m.T - ph @ t.T)[:, :3], axis=1)
        rot = np.linalg.inv(m[:3, :3]) @ t[:3, :3]
        angle = np.degrees(np.arccos(np.clip((np.trace(rot) - 1) / 2, -1, 1)))
        check(diff.max() <= 1.0 and angle <= 0.5,
              "rigid registration recovers the known transform: max %.3f mm, %.3f deg"
              % (diff.max(), angle))

        # consult before planning
        head, tail = base.split("  - name: course2\n")
        tail = tail.replace("      rtdose: course2/RD.dcm\n", "").replace(
            "data_quality: full_dicom", "data_quality: prescription_only")
        out = assess(head + "  - name: course2\n" + tail, demo, "consult")
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        planned = [c for c in rep["courses"] if c["name"] == "course2"][0]
        check(not planned["voxel_dose"], "consult: the planned course has no voxel dose")
        prior = metric(auto, "SpinalCord", "D0.03cc", column="prior_eqd2_gy")
        check(abs(metric(out, "SpinalCord", "D0.03cc") - prior) < 1e-6,
              "consult: cumulative = prior cord D0.03cc (%.2f Gy)" % prior)
        check(len(rep["budget"]["organs"]) > 0 and os.path.exists(os.path.join(out, "budget_30fx.dcm")),
              "consult: budget per organ and voxel map written")
        check(rep["classification"]["category"] == "TYPE_1",
              "consult: overlap judged from the planned target alone")
        # no plan for the planned course yet: the budget map references the
        # prior course's plan it is derived from (PLAN, not RECORD)
        bud = pydicom.dcmread(os.path.join(out, "budget_30fx.dcm"))
        check(bud.DoseSummationType == "PLAN" and len(bud.ReferencedRTPlanSequence) == 1,
              "consult: budget RTDOSE is PLAN referencing the prior plan (%s)"
              % bud.DoseSummationType)
        if shutil.which("dciodvfy"):
            r = subprocess.run(["dciodvfy", os.path.join(out, "budget_30fx.dcm")],
                               capture_output=True, text=True)
            errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")]
            check(not errors, "consult: budget RTDOSE passes dciodvfy", "; ".join(errors[:3]))

        # DICOM REG from the known transform
        f1 = truth["courses"][0]["frame_of_reference_uid"]
        f2 = truth["courses"][1]["frame_of_reference_uid"]
        reg = os.path.join(demo, "case", "reg.dcm")
        write_reg(reg, f2, f1, np.array(truth["course2_to_course1"]["matrix"]),
                  truth["patient_id"])
        text = base.replace("registration: {method: rigid_auto}",
                            "registration: {method: dicom_reg, file: reg.dcm}")
        # ... run without constraints.site: every site, with a warning
        check("  site: head_neck" in text, "the demo case file declares site head_neck")
        text = "\n".join(l for l in text.split("\n") if not l.startswith("  site: head_neck"))
        out = assess(text, demo, "dicom_reg")
        ids, warnings = constraint_ids(out)
        check("cord-paradis2019" in ids and any("constraints.site not given" in w for w in warnings),
              "no constraints.site: every site applied (cord-paradis2019) with a warning")
        check(abs(metric(out, "SpinalCord", "D0.03cc") - cord_auto) <= 0.3,
              "DICOM REG: cord D0.03cc %.2f Gy vs automatic %.2f Gy (<= 0.3)"
              % (metric(out, "SpinalCord", "D0.03cc"), cord_auto))

        # a paper-only prior course (L1)
        paper = ("  - name: palliative 2024\n    role: prior\n    start_date: 2024-03-04\n"
                 "    end_date: 2024-03-08\n    modality: photon\n    intent: palliative\n"
                 "    data_quality: paper_summary\n    fractions: 5\n    prescription_gy: 20\n"
                 "    dvh_entries:\n      - {organ: SpinalCord, metric: Dmax, dose_gy: 10, "
                 "fractions: 5}\n    target_organs: [spine]\n")
        text = base.replace("  - name: course2\n", paper + "  - name: course2\n")
        # ... with site thorax: the thoracic cord limits replace nothing of
        # the site-any entries and are applied
        text = text.replace("  site: head_neck", "  site: thorax")
        out = assess(text, demo, "paper")
        ids, warnings = constraint_ids(out)
        ids_hn, _ = constraint_ids(auto)
        check("cord-paradis2019" in ids and "cord-nieder2006-cumulative" in ids
              and "cord-paradis2019" not in ids_hn and ids != ids_hn,
              "site thorax vs head_neck: a different constraint set (%d vs %d rows)"
              % (len(ids), len(ids_hn)))
        added = metric(out, "SpinalCord", "Dmax") - metric(auto, "SpinalCord", "Dmax")
        check(abs(added - 10.0) < 1e-3,
              "paper course adds EQD2(10 Gy/5 fx, a/b 2) = 10.000 Gy to the cord Dmax (%.4f)" % added)
        # ... and its own interval's recovery discounts it (convention A)
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        names = [c["name"] for c in rep["courses"]]
        cord = [s for s in rep["structures"] if s["name"] == "SpinalCord"][0]
        r_paper = cord["recovery_frac_per_course"][names.index("palliative 2024")]
        col = "prior_recovery_discounted_eqd2_gy"
        added_disc = metric(out, "SpinalCord", "Dmax", column=col) - \
            metric(auto, "SpinalCord", "Dmax", column=col)
        check(r_paper > 0 and abs(added_disc - (1 - r_paper) * 10.0) < 1e-3,
              "paper course discounted by its own recovery r = %.2f: adds %.4f Gy"
              % (r_paper, added_disc))

        # LQ-L
        text = base.replace("  default_gy: 3      # generic late-responding tissue [P]\n",
                            "  default_gy: 3\n  model: lql\n  transition_dose_gy: 1.5\n")
        out = assess(text, demo, "lql")
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        check(rep["model"] == "LQ-L" and rep["transition_dose_gy"] == 1.5,
              "LQ-L stated in report.json with its transition dose")
        lq, lql = metric(auto, "Mandible", "Dmax", 3.0), metric(out, "Mandible", "Dmax", 3.0)
        check(lql < lq - 0.5, "LQ-L lowers the mandible EQD2 above dT (%.2f -> %.2f Gy)" % (lq, lql))
        # registration uncertainty band (RADAR)
        text = base.replace("  reference_grid: planned_ct\n",
                            "  reference_grid: planned_ct\n  registration_uncertainty_mm: 3\n")
        out = assess(text, demo, "band")
        lo = metric(out, "SpinalCord", "D0.03cc", column="cumulative_lower_band_gy")
        mid = metric(out, "SpinalCord", "D0.03cc")
        hi = metric(out, "SpinalCord", "D0.03cc", column="cumulative_upper_band_gy")
        check(lo < mid < hi, "3 mm uncertainty band brackets the cord D0.03cc: %.2f < %.2f < %.2f"
              % (lo, mid, hi))
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        check(rep["classification"]["summation_level"] == "L5",
              "summation level L5 with explicit uncertainty")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    RERT = os.path.abspath(sys.argv[1])
    sys.exit(main())

#!/usr/bin/python3
"""A proton course in `rert assess` checked against an independent NumPy
computation (project issue 4, "particle courses"):

- the demo's planned course is declared a proton course with a physical
  dose: (a) RBE 1.1 constant, (b) McNamara 2015 variable RBE from an LETd
  map written here as an RTDOSE-like grid (LETd varying along x), and the
  same map as MetaImage and as gzip NIfTI (RAS sform written here) giving
  the same result;
- the cumulative spinal cord D0.03cc (EQD2, alpha/beta 2) of rert equals
  NumPy's (the generator's transform; RBE and EQD2 of
  trilinearly sampled physical dose at sub-millimetre cord samples) within
  1 Gy (rert converts on each course's own grid, then maps);
- a proton course with a physical dose and no RBE handling is refused.

usage: proton_test.py RERT_EXECUTABLE
"""
import copy
import csv
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_test import cord_samples, d_at_cc, dose_grid, eqd2, trilinear  # noqa: E402

failures = 0


def check(ok, what, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else "  [%s]" % detail))
    failures += 0 if ok else 1


def mcnamara_rbe(let, ab, d):
    rmax = 0.99064 + 0.35605 * let / ab
    rmin = 1.1012 - 0.0038703 * np.sqrt(ab) * let
    return (np.sqrt(ab * ab + 4 * d * ab * rmax + 4 * d * d * rmin * rmin) - ab) / (2 * d)


def write_let(rd_path, out_path):
    """LETd = 1 + 0.05 * (x + 100) keV/um on the course's dose grid."""
    ds = pydicom.dcmread(rd_path)
    let = copy.deepcopy(ds)
    iop = np.array(ds.ImageOrientationPatient, float)
    ipp = np.array(ds.ImagePositionPatient, float)
    dy, dx = (float(v) for v in ds.PixelSpacing)
    nz, ny, nx = int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns)
    x = ipp[0] + iop[0] * dx * np.arange(nx)
    values = np.clip(1.0 + 0.05 * (x + 100.0), 0.5, 20.0)
    grid = np.broadcast_to(values, (nz, ny, nx))
    scale = values.max() / 60000.0
    let.BitsAllocated, let.BitsStored, let.HighBit = 16, 16, 15
    let.PixelData = np.round(grid / scale).astype(np.uint16).tobytes()
    let.DoseGridScaling = "%.10g" % scale
    let.DoseUnits = "RELATIVE"
    let.DoseComment = "LETd keV/um (test)"
    let.SOPInstanceUID = pydicom.uid.generate_uid()
    let.file_meta.MediaStorageSOPInstanceUID = let.SOPInstanceUID
    let.save_as(out_path)
    return let


def let_grid(let_ds):
    """Origin (mm), spacing x, y, z (mm), dims x, y, z and float LETd
    values of the RTDOSE-like LETd grid."""
    ipp = [float(v) for v in let_ds.ImagePositionPatient]
    dy, dx = (float(v) for v in let_ds.PixelSpacing)
    off = [float(v) for v in let_ds.GridFrameOffsetVector]
    dims = (int(let_ds.Columns), int(let_ds.Rows), int(let_ds.NumberOfFrames))
    values = let_ds.pixel_array.astype(np.float64) * float(let_ds.DoseGridScaling)
    return ipp, (dx, dy, off[1] - off[0]), dims, values.astype("<f4").tobytes()


def write_let_mha(let_ds, out_path):
    """The same LETd grid as a MetaImage float volume."""
    ipp, (dx, dy, dz), (nx, ny, nz), data = let_grid(let_ds)
    header = ("ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
              "TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = %r %r %r\nElementSpacing = %r %r %r\n"
              "DimSize = %d %d %d\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n"
              % (ipp[0], ipp[1], ipp[2], dx, dy, dz, nx, ny, nz))
    with open(out_path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(data)


def write_let_nifti_gz(let_ds, out_path):
    """The same LETd grid as a gzip NIfTI-1 float volume, written here
    (not by rert): NIfTI's sform is RAS, so patient x and y (LPS) are
    negated in the affine."""
    ipp, (dx, dy, dz), (nx, ny, nz), data = let_grid(let_ds)
    hdr = bytearray(348)
    struct.pack_into("<i", hdr, 0, 348)
    struct.pack_into("<8h", hdr, 40, 3, nx, ny, nz, 1, 1, 1, 1)
    struct.pack_into("<hh", hdr, 70, 16, 32)  # datatype FLOAT32, bitpix
    struct.pack_into("<8f", hdr, 76, 1.0, dx, dy, dz, 1.0, 1.0, 1.0, 1.0)
    struct.pack_into("<f", hdr, 108, 352.0)  # vox_offset
    struct.pack_into("<f", hdr, 112, 1.0)  # scl_slope
    struct.pack_into("<hh", hdr, 252, 0, 1)  # qform_code 0, sform_code 1
    struct.pack_into("<4f", hdr, 280, -dx, 0.0, 0.0, -ipp[0])
    struct.pack_into("<4f", hdr, 296, 0.0, -dy, 0.0, -ipp[1])
    struct.pack_into("<4f", hdr, 312, 0.0, 0.0, dz, ipp[2])
    hdr[344:348] = b"n+1\0"
    with gzip.open(out_path, "wb") as f:
        f.write(bytes(hdr) + b"\0\0\0\0")
        f.write(data)


def planned_as_proton(text, rbe_block):
    marker = "  - name: course2\n"
    head, tail = text.split(marker)
    # the RBE is what is tested here: no reverse registration (inverse
    # consistency) keeps the five assessments fast, also under the
    # sanitizers
    head = head.replace("registration: {method: deformable_auto,",
                        "registration: {method: deformable_auto, "
                        "inverse_consistency: false,")
    tail = tail.replace("    modality: photon\n",
                        "    modality: proton\n    dose_type: physical\n" + rbe_block)
    return head + marker + tail


def cord_d003(report_dir):
    with open(os.path.join(report_dir, "dvh.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["roi"] == "SpinalCord" and r["metric"] == "D0.03cc" and float(r["alpha_beta_gy"]) == 2:
                return float(r["cumulative_eqd2_gy"])
    return float("nan")


def independent(demo, matrix, let_path):
    c1 = dose_grid(os.path.join(demo, "case/course1/RD.dcm"))
    c2 = dose_grid(os.path.join(demo, "case/course2/RD.dcm"))
    pts, w = cord_samples(os.path.join(demo, "case/course2/RS.dcm"))
    p1 = (np.column_stack([pts, np.ones(len(pts))]) @ np.array(matrix).T)[:, :3]
    d2 = trilinear(c2, pts)
    if let_path is None:
        e2 = eqd2(1.1 * d2, 30, 2.0)
    else:
        let = trilinear(dose_grid(let_path), pts)
        d = np.maximum(d2 / 30.0, 1e-9)
        e2 = eqd2(mcnamara_rbe(let, 2.0, d) * d2, 30, 2.0)
    return d_at_cc(eqd2(trilinear(c1, p1), 35, 2.0) + e2, w, 0.03)


def run_case(demo, name, rbe_block, want_rc):
    with open(os.path.join(demo, "case/case.yaml")) as f:
        text = f.read()
    path = os.path.join(demo, "case", name + ".yaml")
    with open(path, "w") as f:
        f.write(planned_as_proton(text, rbe_block))
    out = os.path.join(demo, "report-" + name)
    r = subprocess.run([RERT, "assess", "-q", path, "-o", out], capture_output=True, text=True)
    check(r.returncode in want_rc, "%s: exit %d" % (name, r.returncode), r.stderr.strip()[:300])
    return out, r


def main():
    work = tempfile.mkdtemp(prefix="rert-proton-")
    try:
        demo = os.path.join(work, "demo")
        r = subprocess.run([RERT, "demo", "-q", "-o", demo], capture_output=True, text=True)
        check(r.returncode == 0, "rert demo", r.stderr)
        # the cord lies in the part of the demo's anatomy that the
        # deformation leaves alone: its correspondence is the rigid part
        with open(os.path.join(demo, "case/truth.json")) as f:
            matrix = json.load(f)["course2_to_course1"]["matrix"]
        out, _ = run_case(demo, "proton_constant", "    rbe: {model: constant, value: 1.1}\n",
                          (0, 1))
        ours, ref = cord_d003(out), independent(demo, matrix, None)
        check(abs(ours - ref) <= 1.0,
              "constant RBE 1.1: cord D0.03cc %.3f Gy vs NumPy %.3f Gy (<= 1 Gy)" % (ours, ref))
        let_path = os.path.join(demo, "case/course2/LET.dcm")
        let_ds = write_let(os.path.join(demo, "case/course2/RD.dcm"), let_path)
        write_let_mha(let_ds, os.path.join(demo, "case/course2/LET.mha"))
        out, _ = run_case(demo, "proton_mcnamara",
                          "    rbe: {model: mcnamara2015, let_map: course2/LET.dcm}\n", (0, 1))
        ours, ref = cord_d003(out), independent(demo, matrix, let_path)
        check(abs(ours - ref) <= 1.0,
              "McNamara variable RBE: cord D0.03cc %.3f Gy vs NumPy %.3f Gy (<= 1 Gy)"
              % (ours, ref))
        with open(os.path.join(out, "report.json")) as f:
            note = [c for c in json.load(f)["courses"] if c["name"] == "course2"][0]["rbe"]
        check("mcnamara2015" in note, "report states the RBE model applied: " + note)
        out_mha, _ = run_case(demo, "proton_mcnamara_mha",
                              "    rbe: {model: mcnamara2015, let_map: course2/LET.mha}\n",
                              (0, 1))
        check(abs(cord_d003(out_mha) - ours) <= 0.05,
              "LETd from MetaImage gives the same cord D0.03cc (%.3f vs %.3f Gy)"
              % (cord_d003(out_mha), ours))
        write_let_nifti_gz(let_ds, os.path.join(demo, "case/course2/LET.nii.gz"))
        out_nii, _ = run_case(demo, "proton_mcnamara_nii",
                              "    rbe: {model: mcnamara2015, let_map: course2/LET.nii.gz}\n",
                              (0, 1))
        check(abs(cord_d003(out_nii) - ours) <= 0.05,
              "LETd from gzip NIfTI gives the same cord D0.03cc (%.3f vs %.3f Gy)"
              % (cord_d003(out_nii), ours))
        with open(os.path.join(demo, "case/course2/let.txt"), "w") as f:
            f.write("not a LET map\n")
        _, r = run_case(demo, "proton_bad_let",
                        "    rbe: {model: mcnamara2015, let_map: course2/let.txt}\n", (4,))
        check("let_map (line" in r.stderr,
              "an unreadable let_map names the key and its line", r.stderr.strip()[:300])
        _, r = run_case(demo, "proton_no_rbe", "", (2, 4))
        check("rbe" in r.stderr.lower() or "RBE" in r.stderr,
              "physical proton dose without RBE handling is refused", r.stderr.strip()[:200])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    RERT = os.path.abspath(sys.argv[1])
    sys.exit(main())

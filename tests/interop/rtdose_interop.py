#!/usr/bin/python3
"""Interop checks of the RTDOSE files rert writes, against real tools:

1. dciodvfy (dicom3tools) reports no errors;
2. pydicom loads the file and its values equal rert's input transformed by
   an independent NumPy EQD2 computation (within one DoseGridScaling step);
3. plastimatch converts it and its voxel values agree as well.

usage: rtdose_interop.py RERT_EXECUTABLE
Exit 0 when all checks pass, 77 (skip) when a tool is missing, 1 otherwise.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import pydicom
except ImportError as e:  # pragma: no cover
    print("SKIP: python3-pydicom / python3-numpy missing:", e)
    sys.exit(77)

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def dose_gy(path):
    ds = pydicom.dcmread(path)
    return ds, ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)


def read_mha(path):
    """Minimal MetaImage reader (plastimatch writes uncompressed float)."""
    with open(path, "rb") as f:
        header = {}
        while True:
            line = f.readline().decode("ascii").strip()
            key, _, value = line.partition(" = ")
            header[key] = value
            if key == "ElementDataFile":
                break
        raw = f.read()
    dims = [int(v) for v in header["DimSize"].split()]
    types = {"MET_FLOAT": "<f4", "MET_SHORT": "<i2", "MET_USHORT": "<u2",
             "MET_UINT": "<u4", "MET_INT": "<i4", "MET_DOUBLE": "<f8"}
    if header.get("CompressedData", "False") == "True":
        import zlib
        raw = zlib.decompress(raw)
    data = np.frombuffer(raw, dtype=types[header["ElementType"]])
    return data.reshape(dims[::-1]).astype(np.float64)


def main():
    rert = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="rert-interop-")
    try:
        case = os.path.join(work, "case")
        r = run([rert, "phantom", "--quiet", "-o", case])
        check(r.returncode == 0, "rert phantom writes the case: " + r.stderr.strip())
        if r.returncode != 0:
            return 1
        c1 = os.path.join(case, "course1")
        rd = os.path.join(c1, "RD.dcm")
        out = os.path.join(work, "eqd2.dcm")
        r = run([rert, "eqd2", "--quiet", "--dose", rd, "--plan", os.path.join(c1, "RP.dcm"),
                 "--ab", "3", "-o", out])
        check(r.returncode == 0, "rert eqd2 single alpha/beta: " + r.stderr.strip())
        out_map = os.path.join(work, "eqd2_map.dcm")
        r = run([rert, "eqd2", "--quiet", "--dose", rd, "--plan", os.path.join(c1, "RP.dcm"),
                 "--structures", os.path.join(c1, "RS.dcm"), "--ab", "SpinalCord=2",
                 "--ab", "Brainstem=2", "--ab-default", "3", "-o", out_map])
        check(r.returncode == 0, "rert eqd2 per-ROI alpha/beta: " + r.stderr.strip())

        # pydicom: the values are the independent EQD2 of the input.
        src, d = dose_gy(rd)
        plan = pydicom.dcmread(os.path.join(c1, "RP.dcm"))
        n = float(plan.FractionGroupSequence[0].NumberOfFractionsPlanned)
        ds, e = dose_gy(out)
        expected = d * (d / n + 3.0) / (2.0 + 3.0)
        step = float(ds.DoseGridScaling) + float(src.DoseGridScaling) * (2 * d.max() / n + 3) / 5
        err = np.abs(e - expected).max()
        check(err <= step, "pydicom values = NumPy EQD2 within one scaling step "
              "(max error %.3g Gy, step %.3g Gy)" % (err, step))
        check(ds.DoseType == "EFFECTIVE", "DoseType EFFECTIVE")
        check("EQD2" in ds.DoseComment and "3 Gy" in ds.DoseComment,
              "DoseComment states the model: " + ds.DoseComment)
        check(ds.FrameOfReferenceUID == src.FrameOfReferenceUID
              and ds.StudyInstanceUID == src.StudyInstanceUID
              and ds.PatientID == src.PatientID, "patient, study and frame kept")
        check(ds.SOPInstanceUID != src.SOPInstanceUID
              and ds.SOPInstanceUID.startswith("2.25."), "new SOP instance UID under 2.25.")
        check(list(ds.ImagePositionPatient) == list(src.ImagePositionPatient)
              and ds.Rows == src.Rows and ds.NumberOfFrames == src.NumberOfFrames,
              "same grid as the input")

        # dciodvfy: no errors.
        if shutil.which("dciodvfy") is None:
            print("SKIP dciodvfy (dicom3tools) not installed")
        else:
            for path in (out, out_map):
                r = run(["dciodvfy", path])
                errors = [l for l in (r.stdout + r.stderr).splitlines()
                          if l.startswith("Error") or "Assertion" in l]
                check(not errors, "dciodvfy %s: no errors %s" % (os.path.basename(path),
                                                                    errors[:3]))

        # plastimatch: converts it, same values.
        if shutil.which("plastimatch") is None:
            print("SKIP plastimatch not installed")
        else:
            mha = os.path.join(work, "eqd2.mha")
            r = run(["plastimatch", "convert", "--input-dose-img", out,
                     "--output-dose-img", mha])
            check(r.returncode == 0 and os.path.exists(mha),
                  "plastimatch convert reads it: " + r.stderr.strip()[-200:])
            if os.path.exists(mha):
                m = read_mha(mha)
                check(m.shape == e.shape, "plastimatch grid %s = %s" % (m.shape, e.shape))
                if m.shape == e.shape:
                    perr = np.abs(m - e).max()
                    check(perr <= 1e-3 * max(1.0, e.max()),
                          "plastimatch values agree (max diff %.3g Gy)" % perr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""End-to-end checks of `rert suv` and `rert pet-contour` on a PET series and
an RT Structure Set generated here with pydicom (an independent writer):
SUVbw factor against an independent computation, ROI statistics and TBR of a
known activity, the threshold reading, the written RTSTRUCT (dciodvfy,
pydicom, slice references) and the specific error for a series that is not
decay corrected. Exit 77 (skipped) without pydicom or numpy.

usage: pet_cli_test.py RERT_EXECUTABLE
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
except ImportError:
    print("SKIP pydicom or numpy not available")
    sys.exit(77)

failures = 0
PET_CLASS = "1.2.840.10008.5.1.4.1.1.128"
RTSTRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
FRAME = generate_uid()
STUDY = generate_uid()
NX, NY, NZ, STEP = 32, 32, 20, 3.0
ORIGIN = (-46.5, -46.5, -28.5)  # voxel centres at +-1.5, +-4.5, ...
CENTRE = (1.5, 1.5, 1.5)
RADIUS = 12.0
HOT, COLD = 20000.0, 2000.0
WEIGHT, DOSE, HALF = 75.0, 300e6, 6586.2


def check(ok, what, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + (("  [" + detail + "]") if not ok and detail else ""))
    if not ok:
        failures += 1


def run(*args):
    return subprocess.run([RERT, *args], capture_output=True, text=True)


def base(ds, sop_class, modality):
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = modality
    ds.PatientName = "Pet^Cli"
    ds.PatientID = "PETCLI"
    ds.PatientBirthDate = ""
    ds.PatientSex = "M"
    ds.StudyInstanceUID = STUDY
    ds.StudyDate = "20240115"
    ds.StudyTime = "100000"
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.FrameOfReferenceUID = FRAME
    ds.PositionReferenceIndicator = ""


def save(ds, path):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)


def write_pet(folder, decay="START"):
    os.makedirs(folder, exist_ok=True)
    series = generate_uid()
    uids = []
    for k in range(NZ):
        z = ORIGIN[2] + k * STEP
        ds = Dataset()
        base(ds, PET_CLASS, "PT")
        ds.SeriesInstanceUID = series
        ds.SeriesNumber = 3
        ds.InstanceNumber = k + 1
        # Siemens-like: the series time was changed by post-processing.
        ds.SeriesDate, ds.SeriesTime = "20240115", "120000"
        ds.AcquisitionDate = "20240115"
        ds.AcquisitionTime = "110000" if k == 7 else "110500"
        ds.Units, ds.DecayCorrection = "BQML", decay
        ds.CorrectedImage = ["ATTN", "DECY", "SCAT"]
        ds.PatientWeight, ds.PatientSize = WEIGHT, 1.80
        item = Dataset()
        item.RadiopharmaceuticalStartDateTime = "20240115100000"
        item.RadionuclideTotalDose = DOSE
        item.RadionuclideHalfLife = HALF
        ds.RadiopharmaceuticalInformationSequence = Sequence([item])
        ds.ImagePositionPatient = [ORIGIN[0], ORIGIN[1], z]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [STEP, STEP]
        ds.SliceThickness = STEP
        ds.Rows, ds.Columns = NY, NX
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 0
        x = ORIGIN[0] + STEP * np.arange(NX)
        y = ORIGIN[1] + STEP * np.arange(NY)
        xx, yy = np.meshgrid(x, y)
        r2 = (xx - CENTRE[0]) ** 2 + (yy - CENTRE[1]) ** 2 + (z - CENTRE[2]) ** 2
        act = np.where(r2 <= RADIUS ** 2, HOT, COLD)
        slope = act.max() / 30000.0
        ds.RescaleSlope, ds.RescaleIntercept = "%.10g" % slope, 0
        ds.PixelData = np.round(act / float(ds.RescaleSlope)).astype("<u2").tobytes()
        save(ds, os.path.join(folder, "PT%03d.dcm" % k))
        uids.append(ds.SOPInstanceUID)
    return series, uids


def circle(cx, cy, z, r, n=48):
    pts = []
    for q in range(n):
        a = 2 * math.pi * q / n
        pts += [cx + r * math.cos(a), cy + r * math.sin(a), z]
    return pts


def roi_items(ds, number, name, contours):
    s = Dataset()
    s.ROINumber, s.ReferencedFrameOfReferenceUID = number, FRAME
    s.ROIName, s.ROIGenerationAlgorithm = name, "MANUAL"
    ds.StructureSetROISequence.append(s)
    c = Dataset()
    c.ReferencedROINumber = number
    c.ROIDisplayColor = [0, 255, 0]
    c.ContourSequence = Sequence()
    for pts in contours:
        item = Dataset()
        item.ContourGeometricType = "CLOSED_PLANAR"
        item.NumberOfContourPoints = len(pts) // 3
        item.ContourData = ["%.3f" % v for v in pts]
        c.ContourSequence.append(item)
    ds.ROIContourSequence.append(c)
    o = Dataset()
    o.ObservationNumber, o.ReferencedROINumber = number, number
    o.RTROIInterpretedType, o.ROIInterpreter = "ORGAN", ""
    ds.RTROIObservationsSequence.append(o)


def write_rs(path):
    ds = Dataset()
    base(ds, RTSTRUCT_CLASS, "RTSTRUCT")
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 5
    ds.InstanceNumber = 1
    ds.Manufacturer, ds.OperatorsName = "pydicom", ""
    ds.StructureSetLabel = "MR"
    ds.StructureSetDate, ds.StructureSetTime = "20240115", "090000"
    frame = Dataset()
    frame.FrameOfReferenceUID = FRAME
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])
    ds.StructureSetROISequence = Sequence()
    ds.ROIContourSequence = Sequence()
    ds.RTROIObservationsSequence = Sequence()
    zs = [ORIGIN[2] + k * STEP for k in range(NZ)]
    gtv = [circle(CENTRE[0], CENTRE[1], z, math.sqrt(20.0 ** 2 - (z - CENTRE[2]) ** 2))
           for z in zs if abs(z - CENTRE[2]) < 20.0]
    box = [[-40, -40, z, -28, -40, z, -28, -28, z, -40, -28, z] for z in zs[2:12]]
    roi_items(ds, 1, "GTV_MR", gtv)
    roi_items(ds, 2, "Brain", box)
    save(ds, path)


def factor():
    decay = 3600.0  # earliest acquisition 11:00, injection 10:00
    return WEIGHT * 1000.0 / (DOSE * 2.0 ** (-decay / HALF))


def test_suv(pet, rs):
    r = run("suv", "--pet", pet, "--json")
    check(r.returncode == 0, "suv --json: exit 0", r.stderr)
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    f = factor()
    check(abs(out.get("suvbw_factor", 0) - f) <= 1e-9 * f,
          "suvbw_factor equals weight/decayed dose (earliest acquisition)",
          "%s vs %s" % (out.get("suvbw_factor"), f))
    check(out.get("scan_time_source") == "earliest_acquisition",
          "scan time: earliest acquisition (series time after it)")
    bmi = WEIGHT / 1.80 ** 2
    lbm = 9270 * WEIGHT / (6680 + 216 * bmi)
    check(abs(out.get("sul_factor", 0) - f * lbm / WEIGHT) <= 1e-9 * f,
          "sul_factor = suvbw_factor x Janmahasatian LBM / weight")

    r = run("suv", "--pet", pet, "--structures", rs, "--roi", "GTV_MR", "--background", "Brain",
            "--threshold", "fet-gbm-early-psp-galldiks2015", "--json")
    check(r.returncode == 0, "suv with ROI, background and threshold: exit 0", r.stderr)
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    roi = out.get("roi", {})
    check(abs(roi.get("suv_max", 0) - HOT * f) <= 1e-4 * HOT * f, "SUVmax of the hot sphere",
          str(roi.get("suv_max")))
    check(abs(roi.get("suv_peak", 0) - HOT * f) <= 1e-4 * HOT * f,
          "SUVpeak: the 1 cc sphere fits in the hot sphere", str(roi.get("suv_peak")))
    check(COLD * f < roi.get("suv_mean", 0) < HOT * f, "SUVmean between background and hot")
    tbr = out.get("tbr", {})
    check(abs(tbr.get("tbr_max", 0) - 10.0) < 0.01, "TBRmax = 10", str(tbr))
    inter = out.get("interpretations", [{}])[0]
    check(inter.get("suggests") == "early progression" and "not a diagnosis" in inter.get("text", ""),
          "TBRmax 10 >= 2.3 suggests early progression, never a diagnosis", str(inter))

    r = run("suv", "--pet", pet, "--structures", rs, "--roi", "GTV_MR",
            "--threshold", "fet-gbm-early-psp-galldiks2015")
    check(r.returncode == 2 and "--background" in r.stderr,
          "a TBR threshold without --background: exit 2", r.stderr)


def test_contour(pet, rs, work, uids):
    out = os.path.join(work, "RS_pet.dcm")
    r = run("pet-contour", "--pet", pet, "--structures", rs, "--within", "GTV_MR",
            "--fraction-of-max", "0.4", "--name", "PET40", "--color", "255,0,0", "-o", out)
    check(r.returncode == 0 and os.path.exists(out), "pet-contour writes the RTSTRUCT", r.stderr)
    if not os.path.exists(out):
        return
    if shutil.which("dciodvfy"):
        v = subprocess.run(["dciodvfy", out], capture_output=True, text=True)
        errors = [l for l in (v.stdout + v.stderr).splitlines() if l.startswith("Error")]
        check(not errors, "dciodvfy: no errors", "; ".join(errors))
    else:
        print("SKIP dciodvfy not installed")
    ds = pydicom.dcmread(out)
    names = [s.ROIName for s in ds.StructureSetROISequence]
    check(names == ["GTV_MR", "Brain", "PET40"], "pydicom reads the two old ROIs and PET40", str(names))
    contours = ds.ROIContourSequence[2].ContourSequence
    zs = {round(ORIGIN[2] + k * STEP, 3) for k in range(NZ)}
    on_slices = all(round(float(c.ContourData[2]), 3) in zs for c in contours)
    linked = all(c.ContourImageSequence[0].ReferencedSOPInstanceUID in uids for c in contours)
    check(len(contours) >= 5 and on_slices and linked,
          "PET40 contours lie on PET slices and reference them", str(len(contours)))
    r = run("suv", "--pet", pet, "--structures", out, "--roi", "PET40", "--json")
    vol = json.loads(r.stdout).get("roi", {}).get("volume_cc", 0) if r.returncode == 0 else 0
    sphere = 4.0 / 3.0 * math.pi * (RADIUS / 10.0) ** 3
    check(abs(vol - sphere) <= 0.25 * sphere, "PET40 volume near the hot sphere's",
          "%.3g vs %.3g" % (vol, sphere))


def test_errors(work, rs):
    pet = os.path.join(work, "pet_nodecay")
    write_pet(pet, decay="NONE")
    r = run("suv", "--pet", pet)
    check(r.returncode == 4 and "DecayCorrection" in r.stderr,
          "not decay corrected: exit 4 naming DecayCorrection", r.stderr)
    out = os.path.join(work, "never.dcm")
    r = run("pet-contour", "--pet", pet, "--structures", rs, "--within", "GTV_MR", "--suv", "2",
            "--name", "X", "-o", out)
    check(r.returncode == 4 and not os.path.exists(out), "pet-contour on it: exit 4, nothing written")
    r = run("pet-contour", "--pet", pet, "--structures", rs, "--within", "GTV_MR",
            "--fraction-of-max", "0.4", "--suv", "2", "--name", "X", "-o", out)
    check(r.returncode == 2, "both thresholds: exit 2")
    # a series of another modality is unsupported input: exit 4
    ct = os.path.join(work, "not_pet")
    write_pet(ct)
    for name in os.listdir(ct):
        ds = pydicom.dcmread(os.path.join(ct, name))
        ds.Modality = "CT"
        ds.save_as(os.path.join(ct, name))
    r = run("suv", "--pet", ct)
    check(r.returncode == 4 and "expected PT" in r.stderr,
          "a CT series given as --pet: exit 4 naming the modality", r.stderr)


def main():
    work = tempfile.mkdtemp(prefix="rert-pet-")
    try:
        for cmd in ("suv", "pet-contour"):
            r = run(cmd, "--help")
            check(r.returncode == 0 and "example" in r.stdout, "%s --help has an example" % cmd)
        pet = os.path.join(work, "pet")
        _, uids = write_pet(pet)
        rs = os.path.join(work, "RS.dcm")
        write_rs(rs)
        test_suv(pet, rs)
        test_contour(pet, rs, work, set(uids))
        test_errors(work, rs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    RERT = os.path.abspath(sys.argv[1])
    sys.exit(main())

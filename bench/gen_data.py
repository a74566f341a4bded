#!/usr/bin/python3
"""Generate benchmark inputs with pydicom: a 512x512x200 CT series, an RTDOSE
on a 3 mm grid covering it, and a 200^3 RTDOSE for EQD2 conversion.

usage: gen_data.py OUTDIR
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
DOSE_CLASS = "1.2.840.10008.5.1.4.1.1.481.2"


def base(sop_class, study, frame, series):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID = "BENCH"
    ds.PatientName = "Bench^Phantom"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.FrameOfReferenceUID = frame
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    return ds


def write_ct(outdir, study, frame, nx=512, ny=512, nz=200):
    series = generate_uid()
    os.makedirs(outdir, exist_ok=True)
    yy, xx = np.mgrid[0:ny, 0:nx]
    r = np.hypot(xx - nx / 2, yy - ny / 2)
    for k in range(nz):
        ds = base(CT_CLASS, study, frame, series)
        ds.Modality = "CT"
        ds.ImagePositionPatient = [-255.5, -255.5, -200.0 + 2.0 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [1.0, 1.0]
        ds.SliceThickness = 2.0
        ds.InstanceNumber = k + 1
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelRepresentation = 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        img = np.where(r < 200, 1024 + 40, 24).astype(np.int16)
        img[r < 20] += 1000
        ds.PixelData = img.tobytes()
        ds.save_as(os.path.join(outdir, "CT%04d.dcm" % k), write_like_original=False)


def write_dose(path, study, frame, dims, spacing, origin):
    nx, ny, nz = dims
    ds = base(DOSE_CLASS, study, frame, generate_uid())
    ds.Modality = "RTDOSE"
    ds.ImagePositionPatient = list(origin)
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [spacing, spacing]
    ds.SliceThickness = spacing
    ds.Rows, ds.Columns, ds.NumberOfFrames = ny, nx, nz
    ds.GridFrameOffsetVector = [spacing * k for k in range(nz)]
    ds.FrameIncrementPointer = (0x3004, 0x000C)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 32, 32, 31
    ds.PixelRepresentation = 0
    ds.DoseUnits, ds.DoseType, ds.DoseSummationType = "GY", "PHYSICAL", "PLAN"
    zz, yy, xx = np.mgrid[0:nz, 0:ny, 0:nx].astype(np.float64)
    c = np.array([nz, ny, nx]) / 2.0
    r2 = ((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2) / (min(dims) / 3.0) ** 2
    dose = 70.0 * np.exp(-r2)
    scale = dose.max() / 4.0e9
    ds.DoseGridScaling = "%.10g" % scale
    ds.PixelData = np.round(dose / scale).astype(np.uint32).tobytes()
    ds.save_as(path, write_like_original=False)


def main():
    out = sys.argv[1]
    study, frame = generate_uid(), generate_uid()
    write_ct(os.path.join(out, "ct"), study, frame)
    # 3 mm dose grid covering the 512 mm x 512 mm x 400 mm CT.
    write_dose(os.path.join(out, "dose_3mm.dcm"), study, frame, (171, 171, 134), 3.0,
               (-255.0, -255.0, -200.0))
    write_dose(os.path.join(out, "dose_200.dcm"), study, frame, (200, 200, 200), 2.0,
               (-199.0, -199.0, -199.0))


if __name__ == "__main__":
    main()

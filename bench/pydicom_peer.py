#!/usr/bin/python3
"""The peer side of bench/read_eqd2.sh: the same work done with pydicom + NumPy.

usage: pydicom_peer.py ct DIR | dose FILE | eqd2 FILE FRACTIONS AB
Prints one line: "<task> <seconds> <peak RSS MiB> <checksum>".
"""
import glob
import os
import resource
import sys
import time

import numpy as np
import pydicom


def read_ct(folder):
    files = [pydicom.dcmread(p) for p in glob.glob(os.path.join(folder, "*.dcm"))]
    iop = np.array(files[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    files.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
    vol = np.empty((len(files), files[0].Rows, files[0].Columns), dtype=np.float32)
    for k, d in enumerate(files):
        vol[k] = d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)
    return vol


def read_dose(path):
    d = pydicom.dcmread(path)
    return (d.pixel_array * float(d.DoseGridScaling)).astype(np.float32)


def eqd2(path, n, ab):
    dose = read_dose(path)
    t0 = time.perf_counter()
    out = dose * (dose / n + ab) / (2.0 + ab)
    return out, time.perf_counter() - t0


def main():
    task = sys.argv[1]
    t0 = time.perf_counter()
    if task == "ct":
        vol = read_ct(sys.argv[2])
    elif task == "dose":
        vol = read_dose(sys.argv[2])
    elif task == "eqd2":
        vol, t = eqd2(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
        t0 = time.perf_counter() - t
    else:
        raise SystemExit("unknown task " + task)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("%s %.4f %.1f %.6g" % (task, seconds, peak, float(np.sum(vol, dtype=np.float64))))


if __name__ == "__main__":
    main()

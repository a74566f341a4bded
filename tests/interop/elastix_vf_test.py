#!/usr/bin/python3
"""Interop of rert's vector field reader and warp with elastix's transformix.

For three transforms with known parameters on a fixed grid with a
non-trivial origin, spacing and direction (an AffineTransform with a centre
of rotation; a cubic BSplineTransform; the B-spline composed onto the affine
through InitialTransformParametersFileName):

(a) writes a CT-like moving image (MetaImage, itself turned and offset) and
    the TransformParameters file;
(b) runs `transformix -def all` (deformation field as .mha, .nii or .nii.gz:
    ITK's MetaImage and NIfTI writers) and `transformix -in moving.mha`
    (the moving image resampled by transformix itself, linear
    interpolation: FinalBSplineInterpolator of order 1);
(c) warps the same moving image through transformix's field with rert
    (tests/interop/vf_warp.c: rert_vector_field_load,
    rert_vector_field_transform, rert_volume_resample) and compares the two
    resampled images;
(d) checks the field's grid as rert reads it (LPS) and its vectors at fixed
    voxel centres against the transform computed here from the parameters:
    transformix's field maps fixed point x to x + u(x) in the moving image
    (mm, LPS), the convention rert uses.

Tolerances (why): (c) both sides interpolate the same moving image
trilinearly at the same points; transformix evaluates the transform in
double, rert reads u as float32 (|u| <= 25 mm: position error <= 2e-6 mm)
and the MetaImage/NIfTI headers hold the grid in float32 or with limited
digits (<= 1e-4 mm here); the image gradient is at most about 600 HU/mm,
so |difference| <= 0.05 HU (max) and 0.005 HU (mean) over the voxels whose
mapped point lies at least half a voxel inside the moving grid (the two
tools treat the edge differently: ITK uses the default pixel value from
half a voxel outside, rert clamps within half a voxel). (d) 1e-3 mm for
vectors (float32 storage and header rounding), 1e-4 mm / 1e-5 for the grid.

usage: elastix_vf_test.py RERT_EXECUTABLE   (the helper comes from
RERT_VF_WARP, set by tests/meson.build)
Exit 0 when all checks pass, 77 (skip) when transformix or the helper is
missing, 1 otherwise. ANTs is not packaged in Debian 12 and is not run.
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError as e:  # pragma: no cover
    print("SKIP: python3-numpy missing:", e)
    sys.exit(77)

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def rotation(ax, ay, az):
    """R = Rz Ry Rx, angles in radians."""
    cx, sx = math.cos(ax), math.sin(ax)
    cy, sy = math.cos(ay), math.sin(ay)
    cz, sz = math.cos(az), math.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


class Grid:
    """dims (i, j, k), origin, spacing, direction D (columns = i, j, k axes)."""

    def __init__(self, dims, origin, spacing, direction):
        self.dims = tuple(dims)
        self.origin = np.array(origin, dtype=float)
        self.spacing = np.array(spacing, dtype=float)
        self.direction = np.array(direction, dtype=float)

    def points(self):
        """Patient xyz of every voxel centre, shape (k, j, i, 3)."""
        k, j, i = np.meshgrid(np.arange(self.dims[2]), np.arange(self.dims[1]),
                              np.arange(self.dims[0]), indexing="ij")
        ijk = np.stack([i, j, k], axis=-1).astype(float)
        return self.origin + (ijk * self.spacing) @ self.direction.T

    def to_index(self, xyz):
        return ((xyz - self.origin) @ self.direction) / self.spacing

    def flat_direction(self):
        """Columns first: the MetaImage TransformMatrix / elastix order."""
        return " ".join("%.17g" % v for v in self.direction.T.reshape(-1))


FIXED = Grid((48, 44, 30), (-61.3, -47.9, -40.7), (2.5, 2.2, 3.0),
             rotation(0.05, -0.08, 0.3))
MOVING = Grid((60, 54, 34), (-78.4, -70.1, -55.3), (2.3, 2.4, 3.1),
              rotation(0.0, 0.0, -0.12))


def ct_values(xyz):
    """A CT-like body: ellipsoid (soft tissue 40 HU, smooth 2 mm edge), a
    bone-like and a lung-like blob, a soft texture; air -1000."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    r = np.sqrt((x / 58.0) ** 2 + (y / 44.0) ** 2 + (z / 50.0) ** 2)
    edge = 1.0 / (1.0 + np.exp((r - 1.0) * 50.0 / 2.0))
    v = -1000.0 + 1040.0 * edge
    for (bx, by, bz, s, a) in ((15, -8, 10, 7, 700), (-20, 10, -6, 9, -600)):
        d2 = (x - bx) ** 2 + (y - by) ** 2 + (z - bz) ** 2
        v += a * np.exp(-d2 / (2.0 * s * s)) * edge
    v += 25.0 * np.sin(x / 9.0) * np.cos(y / 11.0) * np.sin(z / 13.0 + 0.4) * edge
    return v


def write_mha(path, grid, values):
    header = ("ObjectType = Image\nNDims = 3\nBinaryData = True\n"
              "BinaryDataByteOrderMSB = False\nCompressedData = False\n"
              "TransformMatrix = %s\nOffset = %s\nElementSpacing = %s\n"
              "DimSize = %d %d %d\nElementType = MET_FLOAT\n"
              "ElementDataFile = LOCAL\n") % (
        grid.flat_direction(), " ".join("%.17g" % v for v in grid.origin),
        " ".join("%.17g" % v for v in grid.spacing), *grid.dims)
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(values.astype("<f4").tobytes())


def read_mha(path):
    """Values (k, j, i) of an uncompressed little-endian float MetaImage."""
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
    types = {"MET_FLOAT": "<f4", "MET_DOUBLE": "<f8", "MET_SHORT": "<i2"}
    data = np.frombuffer(raw, dtype=types[header["ElementType"]])
    return data.reshape(dims[::-1]).astype(np.float64)


# ---- the transforms and their hand evaluation

AFFINE_CENTRE = np.array([3.1, -2.2, 5.4])
AFFINE_T = np.array([4.5, -3.2, 2.7])
AFFINE_A = rotation(0.07, -0.05, 0.09) @ np.array(
    [[1.03, 0.02, 0.0], [0.0, 0.97, -0.015], [0.01, 0.0, 1.02]])


def affine_apply(xyz):
    """ITK AffineTransform: T(x) = A (x - c) + c + t."""
    return (xyz - AFFINE_CENTRE) @ AFFINE_A.T + AFFINE_CENTRE + AFFINE_T


BSPLINE_SPACING = np.array([24.0, 26.0, 28.0])
BSPLINE_ORIGIN = np.array([-130.0, -125.0, -120.0])
BSPLINE_SIZE = (12, 11, 10)


def bspline_coefficients():
    """Smooth pseudo-random node displacements (mm), shape (3, gz, gy, gx)."""
    rng = np.random.default_rng(20240611)
    c = rng.uniform(-6.0, 6.0, size=(3,) + BSPLINE_SIZE[::-1])
    return c


def cubic(t):
    t = np.abs(t)
    return np.where(t < 1.0, (4.0 - 6.0 * t * t + 3.0 * t ** 3) / 6.0,
                    np.where(t < 2.0, (2.0 - t) ** 3 / 6.0, 0.0))


def bspline_apply(xyz, coef):
    """ITK BSplineTransform (order 3, identity grid direction): x + sum over
    the 4 x 4 x 4 supporting nodes of B3 weights x node vectors."""
    c = (xyz - BSPLINE_ORIGIN) / BSPLINE_SPACING
    start = np.floor(c - 1.0).astype(int)
    inside = np.all((start >= 0) & (start + 3 <= np.array(BSPLINE_SIZE) - 1),
                    axis=-1)
    if not np.all(inside):
        raise RuntimeError("a point is outside the B-spline's valid region")
    u = np.zeros(xyz.shape)
    for dz in range(4):
        for dy in range(4):
            for dx in range(4):
                n = start + np.array([dx, dy, dz])
                w = (cubic(c[..., 0] - n[..., 0]) * cubic(c[..., 1] - n[..., 1])
                     * cubic(c[..., 2] - n[..., 2]))
                for a in range(3):
                    u[..., a] += w * coef[a][n[..., 2], n[..., 1], n[..., 0]]
    return xyz + u


def grid_params(fmt):
    return """(FixedImageDimension 3)
(MovingImageDimension 3)
(FixedInternalImagePixelType "float")
(MovingInternalImagePixelType "float")
(Size %d %d %d)
(Index 0 0 0)
(Spacing %s)
(Origin %s)
(Direction %s)
(UseDirectionCosines "true")
(ResampleInterpolator "FinalBSplineInterpolator")
(FinalBSplineInterpolationOrder 1)
(Resampler "DefaultResampler")
(DefaultPixelValue -1000)
(ResultImageFormat "%s")
(ResultImagePixelType "float")
(CompressResultImage "false")
""" % (*FIXED.dims, " ".join("%.17g" % v for v in FIXED.spacing),
       " ".join("%.17g" % v for v in FIXED.origin), FIXED.flat_direction(), fmt)


def affine_params(fmt):
    p = list(AFFINE_A.reshape(-1)) + list(AFFINE_T)
    return """(Transform "AffineTransform")
(NumberOfParameters 12)
(TransformParameters %s)
(InitialTransformParametersFileName "NoInitialTransform")
(HowToCombineTransforms "Compose")
(CenterOfRotationPoint %s)
""" % (" ".join("%.17g" % v for v in p),
       " ".join("%.17g" % v for v in AFFINE_CENTRE)) + grid_params(fmt)


def bspline_params(fmt, coef, initial):
    p = coef.reshape(-1)  # all x components (x fastest), then y, then z
    return """(Transform "BSplineTransform")
(NumberOfParameters %d)
(TransformParameters %s)
(InitialTransformParametersFileName "%s")
(HowToCombineTransforms "Compose")
(GridSize %d %d %d)
(GridIndex 0 0 0)
(GridSpacing %s)
(GridOrigin %s)
(GridDirection 1 0 0 0 1 0 0 0 1)
(BSplineTransformSplineOrder 3)
(UseCyclicTransform "false")
""" % (p.size, " ".join("%.17g" % v for v in p), initial, *BSPLINE_SIZE,
       " ".join("%.17g" % v for v in BSPLINE_SPACING),
       " ".join("%.17g" % v for v in BSPLINE_ORIGIN)) + grid_params(fmt)


# ---- one case


def transformix(args, out):
    os.makedirs(out, exist_ok=True)
    r = run(["transformix"] + args + ["-out", out])
    log = os.path.join(out, "transformix.log")
    tail = ""
    if r.returncode != 0 and os.path.exists(log):
        with open(log) as f:
            tail = f.read()[-800:]
    return r.returncode == 0, tail


def check_grid(vf_warp, path, name):
    r = run([vf_warp, "info", path])
    check(r.returncode == 0, "%s: rert reads %s: %s" % (name, os.path.basename(path),
                                                     r.stderr.strip()))
    if r.returncode != 0:
        return False
    info = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition(" ")
        info[key] = value.split()
    dims = tuple(int(v) for v in info["dims"])
    origin = np.array([float(v) for v in info["origin"]])
    spacing = np.array([float(v) for v in info["spacing"]])
    direction = np.array([float(v) for v in info["direction"]]).reshape(3, 3).T
    ok = (info["kind"] == ["field"] and dims == FIXED.dims
          and np.max(np.abs(origin - FIXED.origin)) <= 1e-4
          and np.max(np.abs(spacing - FIXED.spacing)) <= 1e-5
          and np.max(np.abs(direction - FIXED.direction)) <= 1e-5)
    check(ok, "%s: field grid as read (LPS) is the fixed grid: origin %s, "
          "direction error %.1e" % (name, origin,
                                    np.max(np.abs(direction - FIXED.direction))))
    return ok


def check_vectors(vf_warp, path, name, transform, fixed_xyz):
    rng = np.random.default_rng(7)
    picks = [tuple(rng.integers(0, n) for n in fixed_xyz.shape[:3])
             for _ in range(24)]
    picks += [(0, 0, 0), tuple(n - 1 for n in fixed_xyz.shape[:3])]
    pts = np.array([fixed_xyz[p] for p in picks])
    r = run([vf_warp, "sample", path] + ["%.17g" % v for v in pts.reshape(-1)])
    if r.returncode != 0:
        check(False, "%s: rert samples the field: %s" % (name, r.stderr.strip()))
        return
    got = np.array([[float(v) for v in line.split()]
                    for line in r.stdout.splitlines()])
    want = transform(pts) - pts
    err = np.max(np.abs(got - want))
    check(err <= 1e-3, "%s: u(x) at %d fixed voxel centres = T(x) - x from the "
          "parameters (max |u| %.2f mm, max error %.2e mm)"
          % (name, len(pts), np.max(np.abs(want)), err))


def check_warp(vf_warp, work, name, field, result, transform, fixed_xyz, moving):
    warped = os.path.join(work, name + "_rert.mha")
    r = run([vf_warp, "warp", moving, field, warped])
    check(r.returncode == 0, "%s: rert warps the moving image: %s"
          % (name, r.stderr.strip()))
    if r.returncode != 0:
        return
    ours = read_mha(warped)
    theirs = read_mha(result)
    idx = MOVING.to_index(transform(fixed_xyz))
    hi = np.array(MOVING.dims, dtype=float) - 1.5
    inside = np.all((idx >= 0.5) & (idx <= hi), axis=-1)
    diff = np.abs(ours - theirs)[inside]
    n = int(np.count_nonzero(inside))
    ok = n > 0.3 * inside.size and diff.max() <= 0.05 and diff.mean() <= 0.005
    check(ok, "%s: rert warp = transformix resample over %d voxels: mean "
          "|diff| %.5f HU, max %.5f HU (values %.0f..%.0f HU)"
          % (name, n, diff.mean() if n else -1, diff.max() if n else -1,
             theirs[inside].min() if n else 0, theirs[inside].max() if n else 0))


def run_case(vf_warp, work, name, fmt, params_for, transform, moving):
    """params_for(fmt) -> TransformParameters text."""
    fixed_xyz = FIXED.points()
    tp = os.path.join(work, name + ".txt")
    with open(tp, "w") as f:
        f.write(params_for(fmt))
    tp_img = os.path.join(work, name + "_mha.txt")
    with open(tp_img, "w") as f:
        f.write(params_for("mha"))
    out_def = os.path.join(work, name + "_def")
    ok, log = transformix(["-def", "all", "-tp", tp], out_def)
    check(ok, "%s: transformix -def all%s" % (name, "" if ok else ": " + log))
    out_img = os.path.join(work, name + "_img")
    ok2, log2 = transformix(["-in", moving, "-tp", tp_img], out_img)
    check(ok2, "%s: transformix -in moving.mha%s" % (name, "" if ok2 else ": " + log2))
    if not (ok and ok2):
        return
    field = os.path.join(out_def, "deformationField." + fmt)
    check(os.path.exists(field), "%s: transformix wrote %s" % (name, os.path.basename(field)))
    if not os.path.exists(field):
        return
    if check_grid(vf_warp, field, name):
        check_vectors(vf_warp, field, name, transform, fixed_xyz)
    check_warp(vf_warp, work, name, field, os.path.join(out_img, "result.mha"),
               transform, fixed_xyz, moving)


def main():
    if shutil.which("transformix") is None:
        print("SKIP: transformix (elastix) is not installed")
        return 77
    vf_warp = os.environ.get("RERT_VF_WARP", "")
    if not vf_warp or not os.access(vf_warp, os.X_OK):
        print("SKIP: RERT_VF_WARP (tests/interop/vf_warp) is not set")
        return 77
    work = tempfile.mkdtemp(prefix="rert-elastix-")
    try:
        moving = os.path.join(work, "moving.mha")
        write_mha(moving, MOVING, ct_values(MOVING.points()))
        coef = bspline_coefficients()
        affine_file = os.path.join(work, "affine.txt")
        with open(affine_file, "w") as f:
            f.write(affine_params("mha"))

        def bspline(xyz):
            return bspline_apply(xyz, coef)

        def composed(xyz):
            # elastix "Compose": the initial transform first, T(x) = B(A(x))
            return bspline_apply(affine_apply(xyz), coef)

        run_case(vf_warp, work, "affine", "mha", affine_params, affine_apply,
                 moving)
        run_case(vf_warp, work, "bspline", "nii",
                 lambda fmt: bspline_params(fmt, coef, "NoInitialTransform"),
                 bspline, moving)
        run_case(vf_warp, work, "composed", "nii.gz",
                 lambda fmt: bspline_params(fmt, coef, affine_file),
                 composed, moving)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

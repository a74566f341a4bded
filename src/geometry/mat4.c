/* 4x4 homogeneous matrices (row-major, m[r][c]) for affine point mapping. */
#include <math.h>

#include <rert/geometry.h>

RertMat4 rert_mat4_identity(void)
{
    RertMat4 m = {{{0}}};
    for (int i = 0; i < 4; i++) {
        m.m[i][i] = 1.0;
    }
    return m;
}

RertMat4 rert_mat4_multiply(RertMat4 a, RertMat4 b)
{
    RertMat4 out;
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            double sum = 0.0;
            for (int k = 0; k < 4; k++) {
                sum += a.m[r][k] * b.m[k][c];
            }
            out.m[r][c] = sum;
        }
    }
    return out;
}

RertVec3 rert_mat4_apply_point(RertMat4 m, RertVec3 p)
{
    RertVec3 out = {
        m.m[0][0] * p.x + m.m[0][1] * p.y + m.m[0][2] * p.z + m.m[0][3],
        m.m[1][0] * p.x + m.m[1][1] * p.y + m.m[1][2] * p.z + m.m[1][3],
        m.m[2][0] * p.x + m.m[2][1] * p.y + m.m[2][2] * p.z + m.m[2][3],
    };
    return out;
}

RertVec3 rert_mat4_apply_vector(RertMat4 m, RertVec3 v)
{
    RertVec3 out = {
        m.m[0][0] * v.x + m.m[0][1] * v.y + m.m[0][2] * v.z,
        m.m[1][0] * v.x + m.m[1][1] * v.y + m.m[1][2] * v.z,
        m.m[2][0] * v.x + m.m[2][1] * v.y + m.m[2][2] * v.z,
    };
    return out;
}

static bool is_affine_last_row(const RertMat4 *m)
{
    return m->m[3][0] == 0.0 && m->m[3][1] == 0.0 && m->m[3][2] == 0.0 &&
           m->m[3][3] == 1.0;
}

static bool all_finite(const RertMat4 *m)
{
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            if (!isfinite(m->m[r][c])) {
                return false;
            }
        }
    }
    return true;
}

/* Largest absolute element of the upper 3x3, to scale the singularity
 * test so that it does not depend on units. */
static double linear_scale(const RertMat4 *m)
{
    double scale = 0.0;
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            scale = fmax(scale, fabs(m->m[r][c]));
        }
    }
    return scale;
}

bool rert_mat4_invert(RertError *err, RertMat4 m, RertMat4 *out)
{
    if (!all_finite(&m)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "matrix has a non-finite element");
    }
    if (!is_affine_last_row(&m)) {
        return rert_error_set(
            err, RERT_ERR_GEOMETRY,
            "matrix last row is (%g %g %g %g), expected (0 0 0 1)", m.m[3][0],
            m.m[3][1], m.m[3][2], m.m[3][3]);
    }
    double(*a)[4] = m.m; /* m is a local copy */
    /* Cofactors of the upper 3x3 (adjugate transposed on the fly). */
    double c00 = a[1][1] * a[2][2] - a[1][2] * a[2][1];
    double c01 = a[1][2] * a[2][0] - a[1][0] * a[2][2];
    double c02 = a[1][0] * a[2][1] - a[1][1] * a[2][0];
    double det = a[0][0] * c00 + a[0][1] * c01 + a[0][2] * c02;
    double scale = linear_scale(&m);
    if (!(fabs(det) > 1e-12 * scale * scale * scale) || scale == 0.0) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "matrix is singular: determinant %g, expected "
                              "non-zero relative to element scale %g",
                              det, scale);
    }
    RertMat4 inv = rert_mat4_identity();
    inv.m[0][0] = c00 / det;
    inv.m[1][0] = c01 / det;
    inv.m[2][0] = c02 / det;
    inv.m[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    inv.m[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    inv.m[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    inv.m[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    inv.m[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    inv.m[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    for (int r = 0; r < 3; r++) {
        inv.m[r][3] = -(inv.m[r][0] * a[0][3] + inv.m[r][1] * a[1][3] +
                        inv.m[r][2] * a[2][3]);
    }
    *out = inv;
    return true;
}

bool rert_mat4_is_rigid(RertMat4 m, double tol)
{
    if (!all_finite(&m) || !is_affine_last_row(&m)) {
        return false;
    }
    /* R^T R = I */
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            double dot = 0.0;
            for (int r = 0; r < 3; r++) {
                dot += m.m[r][a] * m.m[r][b];
            }
            if (fabs(dot - (a == b ? 1.0 : 0.0)) > tol) {
                return false;
            }
        }
    }
    double det = m.m[0][0] * (m.m[1][1] * m.m[2][2] - m.m[1][2] * m.m[2][1]) -
                 m.m[0][1] * (m.m[1][0] * m.m[2][2] - m.m[1][2] * m.m[2][0]) +
                 m.m[0][2] * (m.m[1][0] * m.m[2][1] - m.m[1][1] * m.m[2][0]);
    return fabs(det - 1.0) <= tol;
}

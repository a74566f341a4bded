/* Private to src/radbio: per-voxel formulas shared by the scalar API and the
 * voxel kernels (so both compute bit-identical values), and input guards. */
#ifndef RERT_RADBIO_INTERNAL_H
#define RERT_RADBIO_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include <rert/error.h>
#include <rert/radbio.h>

/* Voxels per OpenMP work item: large enough to amortise scheduling, small
 * enough to balance load. Results never depend on it. */
#define RADBIO_BLOCK_VOXELS ((size_t)16384)

/* Hot voxel loops get an AVX2 copy next to the baseline one, chosen once at
 * load time (GNU ifunc). The clones run the same IEEE operations in the
 * same order (the avx2 target has no FMA, so nothing is contracted), so
 * results are identical on every x86-64 machine; only the vector width
 * differs. Elsewhere, or without ifunc support, the attribute is empty. */
#if defined(__x86_64__) && defined(__linux__) &&                               \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 8)
#define RADBIO_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RADBIO_VECTOR_CLONES
#endif

/* Resolved LQ-L settings for one alpha/beta: is_lql false means plain LQ. */
typedef struct LqForm {
    bool is_lql;
    double dt_gy;       /* transition dose per fraction */
    double slope_ratio; /* gamma/alpha, 0 = tangent 1 + 2dT/ab */
} LqForm;

static inline LqForm lq_form_make(const RertLqModel *model)
{
    LqForm f = {false, 0.0, 0.0};
    if (model != NULL && model->kind == RERT_LQ_MODEL_LQL) {
        f.is_lql = true;
        f.dt_gy = model->transition_dose_gy;
        f.slope_ratio = model->linear_slope_ratio;
    }
    return f;
}

/* gamma/alpha for one alpha/beta: the caller's value or the tangent. */
static inline double lq_slope_ratio(const LqForm *f, double ab_gy)
{
    return f->slope_ratio > 0.0 ? f->slope_ratio : 1.0 + 2.0 * f->dt_gy / ab_gy;
}

/* BED of one fraction of physical dose d (>= 0), Gy_ab. LQ: d(1 + d/ab).
 * LQ-L above dT: dT(1 + dT/ab) + (gamma/alpha)(d - dT) (Astrahan 2008;
 * with the tangent slope this equals d(1 + 2dT/ab) - dT^2/ab). */
static inline double
lq_bed_per_fraction(const LqForm *f, double d_gy, double ab_gy)
{
    if (f->is_lql && d_gy > f->dt_gy) {
        double dt = f->dt_gy;
        return dt * (1.0 + dt / ab_gy) + lq_slope_ratio(f, ab_gy) * (d_gy - dt);
    }
    return d_gy * (1.0 + d_gy / ab_gy);
}

/* BED of a course: n * BED per fraction with d = D/n. */
static inline double
lq_bed(const LqForm *f, double dose_gy, double n, double ab_gy)
{
    return n * lq_bed_per_fraction(f, dose_gy / n, ab_gy);
}

/* Largest d >= 0 with BED per fraction = e (e > 0). LQ root written as
 * 2 ab e/(ab + sqrt(ab^2 + 4 ab e)), equal to [-ab + sqrt(...)]/2 but free
 * of cancellation for small e. LQ-L: the LQ root if <= dT, else the linear
 * branch, inverted analytically. *is_linear tells which branch. */
static inline double lq_max_dose_per_fraction(const LqForm *f,
                                              double e,
                                              double ab_gy,
                                              bool *is_linear)
{
    double d =
        2.0 * ab_gy * e / (ab_gy + sqrt(ab_gy * ab_gy + 4.0 * ab_gy * e));
    *is_linear = false;
    if (f->is_lql && d > f->dt_gy) {
        double dt = f->dt_gy;
        d = dt + (e - dt * (1.0 + dt / ab_gy)) / lq_slope_ratio(f, ab_gy);
        *is_linear = true;
    }
    return d;
}

/* RBE(D) of the RBEmax/RBEmin formalism in the cancellation-free form
 * (2 ab RBEmax + 2 D RBEmin^2)/(sqrt(ab^2 + 4 D ab RBEmax + 4 D^2
 * RBEmin^2) + ab); D = 0 gives RBEmax. */
static inline double
rbe_from_limits(double rbemax, double rbemin, double ab_gy, double d_gy)
{
    double rmin2 = rbemin * rbemin;
    double root = sqrt(ab_gy * ab_gy + 4.0 * d_gy * ab_gy * rbemax +
                       4.0 * d_gy * d_gy * rmin2);
    return (2.0 * ab_gy * rbemax + 2.0 * d_gy * rmin2) / (root + ab_gy);
}

static inline void rbe_limits(const RertRbeModel *m,
                              double letd,
                              double ab_gy,
                              double *rbemax,
                              double *rbemin)
{
    *rbemax = m->rbemax_p0 + m->rbemax_p1 * letd / ab_gy;
    *rbemin = m->rbemin_p0 + m->rbemin_p1_sqrt_ab * sqrt(ab_gy) * letd +
              m->rbemin_p1_over_ab * letd / ab_gy;
}

/* ---- guards: set INVALID_ARG naming the parameter and value */

static inline bool check_finite_min(RertError *err,
                                    const char *name,
                                    double value,
                                    double min,
                                    bool min_allowed)
{
    bool ok = isfinite(value) && (min_allowed ? value >= min : value > min);
    if (!ok) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s = %g, expected a finite value %s %g", name,
                              value, min_allowed ? ">=" : ">", min);
    }
    return true;
}

static inline bool check_finite(RertError *err, const char *name, double value)
{
    if (!isfinite(value)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s = %g, expected a finite value", name, value);
    }
    return true;
}

static inline bool check_fractions(RertError *err, const char *name, unsigned n)
{
    if (n < 1) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s = %u, expected >= 1", name, n);
    }
    return true;
}

static inline bool check_out(RertError *err, const char *name, const void *ptr)
{
    if (ptr == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "%s is NULL, expected a pointer", name);
    }
    return true;
}

/* Validate an LQ model (NULL = plain LQ). */
bool radbio_model_check(RertError *err, const RertLqModel *model);

#endif

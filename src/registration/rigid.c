/* Automatic rigid registration: 6 parameters (rotations about the fixed
 * grid's centre, translations), multi-resolution, regular-step gradient
 * ascent with central finite differences (docs/registration.md). */
#include <math.h>
#include <string.h>
#include <time.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define DEG_PER_RAD (180.0 / 3.14159265358979323846)

RertRigidOptions rert_rigid_options_default(void)
{
    RertRigidOptions o;
    memset(&o, 0, sizeof o);
    o.metric = RERT_RIGID_METRIC_MI;
    o.histogram_bins = RERT_RIGID_DEFAULT_BINS;
    o.levels = RERT_RIGID_DEFAULT_LEVELS;
    o.body_threshold = RERT_RIGID_DEFAULT_BODY_THRESHOLD;
    o.use_threshold_mask = true;
    o.initialise_centres = true;
    o.initial = rert_mat4_identity();
    o.max_iterations = RERT_RIGID_DEFAULT_MAX_ITERATIONS;
    o.max_step_mm = RERT_RIGID_DEFAULT_MAX_STEP_MM;
    o.min_step_mm = RERT_RIGID_DEFAULT_MIN_STEP_MM;
    o.rotation_scale_mm = RERT_RIGID_DEFAULT_ROTATION_SCALE_MM;
    o.min_overlap_frac = RERT_RIGID_DEFAULT_MIN_OVERLAP_FRAC;
    return o;
}

/* R = Rz(c) Ry(b) Rx(a), angles in radians. */
static void rotation_matrix(double a, double b, double c, double r[3][3])
{
    double ca = cos(a);
    double sa = sin(a);
    double cb = cos(b);
    double sb = sin(b);
    double cc = cos(c);
    double sc = sin(c);
    r[0][0] = cc * cb;
    r[0][1] = cc * sb * sa - sc * ca;
    r[0][2] = cc * sb * ca + sc * sa;
    r[1][0] = sc * cb;
    r[1][1] = sc * sb * sa + cc * ca;
    r[1][2] = sc * sb * ca - cc * sa;
    r[2][0] = -sb;
    r[2][1] = cb * sa;
    r[2][2] = cb * ca;
}

/* x -> R (x - c) + c + t, angles in radians. */
static RertMat4
rigid_matrix(const double c[3], const double angle_rad[3], const double t[3])
{
    double r[3][3];
    rotation_matrix(angle_rad[0], angle_rad[1], angle_rad[2], r);
    RertMat4 m = rert_mat4_identity();
    for (int i = 0; i < 3; i++) {
        double rc = 0.0;
        for (int j = 0; j < 3; j++) {
            m.m[i][j] = r[i][j];
            rc += r[i][j] * c[j];
        }
        m.m[i][3] = c[i] + t[i] - rc;
    }
    return m;
}

RertMat4 rert_rigid_matrix_compute(const double centre_mm[3],
                                   const double rotation_deg[3],
                                   const double translation_mm[3])
{
    double rad[3];
    for (int i = 0; i < 3; i++) {
        rad[i] = rotation_deg[i] / DEG_PER_RAD;
    }
    return rigid_matrix(centre_mm, rad, translation_mm);
}

/* Scaled parameters p (arc lengths at radius @p scale, then mm) to the
 * matrix. */
static RertMat4
params_matrix(const double c[3], const double p[6], double scale)
{
    double rad[3] = {p[0] / scale, p[1] / scale, p[2] / scale};
    return rigid_matrix(c, rad, p + 3);
}

/* Inverse of params_matrix for a rigid @p m (R = Rz Ry Rx). */
static void
matrix_params(RertMat4 m, const double c[3], double scale, double p[6])
{
    double sb = -m.m[2][0];
    sb = sb > 1.0 ? 1.0 : (sb < -1.0 ? -1.0 : sb);
    p[0] = atan2(m.m[2][1], m.m[2][2]) * scale;
    p[1] = asin(sb) * scale;
    p[2] = atan2(m.m[1][0], m.m[0][0]) * scale;
    RertVec3 cc = {c[0], c[1], c[2]};
    RertVec3 mc = rert_mat4_apply_point(m, cc);
    p[3] = mc.x - c[0];
    p[4] = mc.y - c[1];
    p[5] = mc.z - c[2];
}

static bool positive_finite(double x)
{
    return isfinite(x) && x > 0.0;
}

static bool options_check(RertError *err, const RertRigidOptions *o)
{
    const char *bad = NULL;
    if (o->metric != RERT_RIGID_METRIC_MI &&
        o->metric != RERT_RIGID_METRIC_NCC) {
        bad = "metric (expected MI or NCC)";
    } else if (o->histogram_bins < 8 || o->histogram_bins > 256) {
        bad = "histogram_bins (expected 8..256)";
    } else if (o->levels < 1 || o->levels > RERT_RIGID_MAX_LEVELS) {
        bad = "levels (expected 1..5)";
    } else if (o->max_iterations < 1) {
        bad = "max_iterations (expected >= 1)";
    } else if (!positive_finite(o->max_step_mm) ||
               !positive_finite(o->min_step_mm) ||
               o->min_step_mm > o->max_step_mm) {
        bad = "max_step_mm/min_step_mm (expected 0 < min <= max, finite)";
    } else if (!positive_finite(o->rotation_scale_mm)) {
        bad = "rotation_scale_mm (expected > 0, finite)";
    } else if (!(o->min_overlap_frac >= 0.0 && o->min_overlap_frac <= 1.0)) {
        bad = "min_overlap_frac (expected 0..1)";
    } else if (isinf(o->body_threshold)) {
        bad = "body_threshold (expected finite, or NaN for none)";
    } else if (o->has_initial && !rert_mat4_is_rigid(o->initial, 1e-6)) {
        bad = "initial (expected a rigid matrix)";
    }
    if (bad != NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rigid registration options: bad %s", bad);
    }
    return true;
}

/* ---- one level */

typedef struct LevelPlan {
    double centre[3];
    double scale;    /* rotation scale, mm per radian */
    double step;     /* first step (scaled units) */
    double min_step; /* stop below */
    double fd_mm;    /* finite difference half width */
    unsigned max_iterations;
} LevelPlan;

static double evaluate_at(RegMetric *m,
                          const LevelPlan *plan,
                          const double p[6],
                          double *overlap)
{
    RertMat4 t = params_matrix(plan->centre, p, plan->scale);
    return reg_metric_evaluate(m, &t, overlap);
}

/* Central differences; false when the metric is undefined nearby. */
static bool
gradient(RegMetric *m, const LevelPlan *plan, const double p[6], double g[6])
{
    double overlap = 0.0;
    for (int i = 0; i < 6; i++) {
        double q[6];
        memcpy(q, p, sizeof q);
        q[i] = p[i] + plan->fd_mm;
        double up = evaluate_at(m, plan, q, &overlap);
        q[i] = p[i] - plan->fd_mm;
        double down = evaluate_at(m, plan, q, &overlap);
        if (!isfinite(up) || !isfinite(down)) {
            return false;
        }
        g[i] = (up - down) / (2.0 * plan->fd_mm);
    }
    return true;
}

static double dot6(const double a[6], const double b[6])
{
    double sum = 0.0;
    for (int i = 0; i < 6; i++) {
        sum += a[i] * b[i];
    }
    return sum;
}

/* Quasi-Newton state: BFGS approximation of the inverse Hessian of minus
 * the metric, and the metric's gradient at the current point. */
typedef struct Bfgs {
    double h[6][6];
    double g[6];
    bool has_update;
} Bfgs;

static void bfgs_reset(Bfgs *b, double scale)
{
    memset(b->h, 0, sizeof b->h);
    for (int i = 0; i < 6; i++) {
        b->h[i][i] = scale;
    }
    b->has_update = false;
}

/* Ascent direction d = H g. */
static void bfgs_direction(const Bfgs *b, double d[6])
{
    for (int i = 0; i < 6; i++) {
        d[i] = dot6(b->h[i], b->g);
    }
}

/* Standard BFGS update of the inverse Hessian with the step @p s and the
 * new gradient (Nocedal & Wright, eq. 6.17); skipped when the curvature
 * condition fails (noise), as is usual. */
static void bfgs_update(Bfgs *b, const double s[6], const double g_new[6])
{
    double y[6];
    for (int i = 0; i < 6; i++) {
        y[i] = b->g[i] - g_new[i]; /* change of the gradient of -metric */
    }
    memcpy(b->g, g_new, sizeof b->g);
    double sy = dot6(s, y);
    double yy = dot6(y, y);
    if (!(sy > 1e-12 * sqrt(dot6(s, s) * yy))) {
        return;
    }
    if (!b->has_update) {
        bfgs_reset(b, sy / yy); /* Nocedal & Wright eq. 6.20 */
        b->has_update = true;
    }
    double hy[6];
    for (int i = 0; i < 6; i++) {
        hy[i] = dot6(b->h[i], y);
    }
    double yhy = dot6(y, hy);
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 6; j++) {
            b->h[i][j] += (sy + yhy) * s[i] * s[j] / (sy * sy) -
                          (hy[i] * s[j] + s[i] * hy[j]) / sy;
        }
    }
}

/* Backtracking along @p d (at most plan->step long): halve until the
 * metric improves on @p value or the step is below the minimum. On
 * success @p p and @p value are updated and @p s holds the step. */
static bool line_search(RegMetric *m,
                        const LevelPlan *plan,
                        const double d[6],
                        double p[6],
                        double *value,
                        double s[6])
{
    double length = sqrt(dot6(d, d));
    double alpha = length > plan->step ? plan->step / length : 1.0;
    while (alpha * length >= plan->min_step) {
        double q[6];
        for (int i = 0; i < 6; i++) {
            s[i] = alpha * d[i];
            q[i] = p[i] + s[i];
        }
        double overlap = 0.0;
        double fq = evaluate_at(m, plan, q, &overlap);
        if (fq > *value) {
            memcpy(p, q, sizeof q);
            *value = fq;
            return true;
        }
        alpha *= 0.5;
    }
    return false;
}

/* One quasi-Newton iteration; false when the level has converged or
 * cannot go on. */
static bool iterate(
    RegMetric *m, const LevelPlan *plan, Bfgs *b, double p[6], double *value)
{
    double d[6];
    double s[6];
    bfgs_direction(b, d);
    bool is_ascent = dot6(d, b->g) > 0.0;
    if (!is_ascent || !line_search(m, plan, d, p, value, s)) {
        if (!b->has_update) {
            return false; /* steepest ascent found nothing better */
        }
        /* Forget the curvature and retry along the gradient. */
        bfgs_reset(b, plan->step / sqrt(dot6(b->g, b->g)));
        bfgs_direction(b, d);
        if (!line_search(m, plan, d, p, value, s)) {
            return false;
        }
    }
    double g_new[6];
    if (sqrt(dot6(s, s)) < plan->min_step || !gradient(m, plan, p, g_new)) {
        return false;
    }
    bfgs_update(b, s, g_new);
    return true;
}

/* Quasi-Newton (BFGS) ascent with central-difference gradients; returns
 * the accepted steps. */
static unsigned
optimise(RegMetric *m, const LevelPlan *plan, double p[6], double *value)
{
    double overlap = 0.0;
    *value = evaluate_at(m, plan, p, &overlap);
    Bfgs b;
    if (!isfinite(*value) || !gradient(m, plan, p, b.g)) {
        return 0;
    }
    double norm = sqrt(dot6(b.g, b.g));
    if (!(norm > 0.0)) {
        return 0;
    }
    bfgs_reset(&b, plan->step / norm);
    unsigned accepted = 0;
    while (accepted < plan->max_iterations) {
        double before = *value;
        bool go_on = iterate(m, plan, &b, p, value);
        accepted += *value > before ? 1u : 0u;
        if (!go_on) {
            break;
        }
    }
    return accepted;
}

/* Level volumes and metric state. */
typedef struct Level {
    RertVolume *fixed;
    RertVolume *moving;
    RertVolume *mask;
    RegSamples samples;
    RegMetric metric;
} Level;

static void level_clear(Level *l)
{
    reg_metric_clear(&l->metric);
    reg_samples_clear(&l->samples);
    rert_volume_destroy(l->mask);
    rert_volume_destroy(l->fixed);
    rert_volume_destroy(l->moving);
    memset(l, 0, sizeof *l);
}

/* The mask at this level: the caller's occupancy block-averaged, or the
 * shrunk fixed image above the threshold, as 0/1 (>= 0.5 inside). */
static bool level_mask(RertError *err,
                       const RertVolume *fixed,
                       const RertRigidOptions *o,
                       const size_t shrink[3],
                       Level *l)
{
    if (o->fixed_mask != NULL) {
        RertVolume *full = rert_volume_create(err, rert_volume_geometry(fixed));
        if (full == NULL) {
            return false;
        }
        memcpy(rert_volume_data(full), o->fixed_mask,
               rert_grid_voxel_count(rert_volume_geometry(fixed)) *
                   sizeof(float));
        l->mask = reg_volume_shrink(err, full, shrink);
        rert_volume_destroy(full);
        return l->mask != NULL;
    }
    if (!o->use_threshold_mask || isnan(o->body_threshold)) {
        return true;
    }
    l->mask = rert_volume_clone(err, l->fixed);
    if (l->mask == NULL) {
        return false;
    }
    float *d = rert_volume_data(l->mask);
    size_t n = rert_grid_voxel_count(rert_volume_geometry(l->mask));
    for (size_t i = 0; i < n; i++) {
        d[i] = (double)d[i] > o->body_threshold ? 1.0f : 0.0f;
    }
    return true;
}

static bool level_prepare(RertError *err,
                          const RertVolume *fixed,
                          const RertVolume *moving,
                          const RertRigidOptions *o,
                          unsigned level,
                          Level *l)
{
    size_t shrink[3];
    reg_level_shrink(rert_volume_geometry(fixed), o->levels, level, shrink);
    l->fixed = reg_volume_shrink(err, fixed, shrink);
    if (l->fixed == NULL || !level_mask(err, fixed, o, shrink, l)) {
        return false;
    }
    reg_level_shrink(rert_volume_geometry(moving), o->levels, level, shrink);
    l->moving = reg_volume_shrink(err, moving, shrink);
    if (l->moving == NULL) {
        return false;
    }
    const float *mask =
        l->mask != NULL ? rert_volume_data_const(l->mask) : NULL;
    return reg_samples_build(err, l->fixed, mask, o->histogram_bins,
                             &l->samples) &&
           reg_metric_init(err, &l->metric, &l->samples, l->moving, o->metric,
                           o->histogram_bins);
}

static LevelPlan level_plan(const RertRigidOptions *o,
                            const double centre[3],
                            unsigned level,
                            const RertVolume *fixed_level)
{
    LevelPlan plan;
    memcpy(plan.centre, centre, sizeof plan.centre);
    plan.scale = o->rotation_scale_mm;
    double finer = ldexp(1.0, (int)(o->levels - 1u - level));
    plan.step = o->max_step_mm / ldexp(1.0, (int)level);
    plan.min_step = o->min_step_mm * finer;
    plan.step = plan.step < plan.min_step ? plan.min_step : plan.step;
    const RertGridGeometry *g = rert_volume_geometry(fixed_level);
    double finest = g->spacing_mm[0];
    for (int a = 1; a < 3; a++) {
        finest = g->spacing_mm[a] < finest ? g->spacing_mm[a] : finest;
    }
    plan.fd_mm = 0.5 * finest;
    plan.max_iterations = o->max_iterations;
    return plan;
}

static bool run_level(RertError *err,
                      const RertVolume *fixed,
                      const RertVolume *moving,
                      const RertRigidOptions *o,
                      unsigned level,
                      double p[6],
                      RertRigidResult *r)
{
    Level l;
    memset(&l, 0, sizeof l);
    if (!level_prepare(err, fixed, moving, o, level, &l)) {
        rert_error_prefix(err, "rigid registration level %u of %u", level + 1,
                          o->levels);
        level_clear(&l);
        return false;
    }
    LevelPlan plan = level_plan(o, r->centre_mm, level, l.fixed);
    double value = 0.0;
    r->iterations[level] = optimise(&l.metric, &plan, p, &value);
    r->metric_evaluations += l.metric.evaluations;
    r->final_metric = value;
    r->samples = l.samples.count;
    (void)evaluate_at(&l.metric, &plan, p, &r->overlap_frac);
    level_clear(&l);
    return true;
}

/* Centre of the fixed grid (patient mm). */
static void grid_centre(const RertGridGeometry *g, double c[3])
{
    RertVec3 ijk = {0.5 * (double)(g->dims[0] - 1),
                    0.5 * (double)(g->dims[1] - 1),
                    0.5 * (double)(g->dims[2] - 1)};
    RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
    c[0] = x.x;
    c[1] = x.y;
    c[2] = x.z;
}

static bool initial_params(RertError *err,
                           const RertVolume *fixed,
                           const RertVolume *moving,
                           const RertRigidOptions *o,
                           const double c[3],
                           double p[6])
{
    memset(p, 0, 6 * sizeof *p);
    if (o->has_initial) {
        matrix_params(o->initial, c, o->rotation_scale_mm, p);
        return true;
    }
    if (!o->initialise_centres) {
        return true;
    }
    double cf[3];
    double cm[3];
    if (!reg_volume_centroid(fixed, o->body_threshold, cf)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "rigid registration: no fixed voxel above the "
                              "body threshold %g for the centre of mass",
                              o->body_threshold);
    }
    if (!reg_volume_centroid(moving, o->body_threshold, cm)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "rigid registration: no moving voxel above the "
                              "body threshold %g for the centre of mass",
                              o->body_threshold);
    }
    for (int i = 0; i < 3; i++) {
        p[3 + i] = cm[i] - cf[i];
    }
    return true;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0) {
        return 0.0;
    }
    return (double)(t1.tv_sec - t0->tv_sec) +
           1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

static void fill_parameters(const double p[6], double scale, RertRigidResult *r)
{
    r->fixed_to_moving = params_matrix(r->centre_mm, p, scale);
    for (int i = 0; i < 3; i++) {
        r->rotation_deg[i] = p[i] / scale * DEG_PER_RAD;
        r->translation_mm[i] = p[3 + i];
    }
}

static bool compare_region(RertError *err,
                           const RertGridGeometry *g,
                           const float *data,
                           double threshold,
                           bool is_inclusive,
                           RertMat4 a,
                           RertMat4 b,
                           RertRegistrationDifference *out);

static bool fill_truth(RertError *err,
                       const RertVolume *fixed,
                       const RertRigidOptions *o,
                       RertRigidResult *r)
{
    if (o->truth == NULL) {
        return true;
    }
    const RertGridGeometry *g = rert_volume_geometry(fixed);
    RertRegistrationDifference d;
    bool ok = o->fixed_mask != NULL
                  ? compare_region(err, g, o->fixed_mask, 0.5, true,
                                   r->fixed_to_moving, *o->truth, &d)
                  : compare_region(err, g, rert_volume_data_const(fixed),
                                   o->use_threshold_mask ? o->body_threshold
                                                         : (double)NAN,
                                   false, r->fixed_to_moving, *o->truth, &d);
    if (!ok) {
        rert_error_prefix(err, "rigid registration: comparing with the truth");
        return false;
    }
    r->has_truth = true;
    r->truth_mean_mm = d.mean_mm;
    r->truth_max_mm = d.max_mm;
    r->truth_rotation_deg = d.rotation_deg;
    return true;
}

bool rert_rigid_register(RertError *err,
                         const RertVolume *fixed,
                         const RertVolume *moving,
                         const RertRigidOptions *options,
                         RertRigidResult *result)
{
    struct timespec t0;
    if (clock_gettime(CLOCK_MONOTONIC, &t0) != 0) {
        memset(&t0, 0, sizeof t0);
    }
    if (fixed == NULL || moving == NULL || result == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rigid registration: NULL fixed volume, moving "
                              "volume or result");
    }
    RertRigidOptions o =
        options != NULL ? *options : rert_rigid_options_default();
    if (!options_check(err, &o)) {
        return false;
    }
    RertRigidResult r;
    memset(&r, 0, sizeof r);
    grid_centre(rert_volume_geometry(fixed), r.centre_mm);
    double p[6];
    if (!initial_params(err, fixed, moving, &o, r.centre_mm, p)) {
        return false;
    }
    memcpy(r.initial_translation_mm, p + 3, sizeof r.initial_translation_mm);
    r.level_count = o.levels;
    for (unsigned level = 0; level < o.levels; level++) {
        if (!run_level(err, fixed, moving, &o, level, p, &r)) {
            return false;
        }
    }
    fill_parameters(p, o.rotation_scale_mm, &r);
    if (!(r.overlap_frac >= o.min_overlap_frac)) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "rigid registration: only %.3f of the fixed "
                              "samples overlap the moving volume at the end, "
                              "expected at least %.3f (min_overlap_frac)",
                              r.overlap_frac, o.min_overlap_frac);
    }
    if (!fill_truth(err, fixed, &o, &r)) {
        return false;
    }
    r.seconds = seconds_since(&t0);
    *result = r;
    return true;
}

/* ---- comparing two matrices */

static double rotation_angle_deg(RertMat4 a_inv, RertMat4 b)
{
    RertMat4 d = rert_mat4_multiply(a_inv, b);
    double c = 0.5 * (d.m[0][0] + d.m[1][1] + d.m[2][2] - 1.0);
    c = c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
    return acos(c) * DEG_PER_RAD;
}

static bool compare_region(RertError *err,
                           const RertGridGeometry *g,
                           const float *data,
                           double threshold,
                           bool is_inclusive,
                           RertMat4 a,
                           RertMat4 b,
                           RertRegistrationDifference *out)
{
    RertMat4 a_inv;
    if (!rert_mat4_invert(err, a, &a_inv)) {
        return false;
    }
    bool use_all = isnan(threshold);
    double sum = 0.0;
    double max = 0.0;
    size_t n = 0;
    size_t total = rert_grid_voxel_count(g);
    for (size_t index = 0; index < total; index++) {
        double v = (double)data[index];
        if (!use_all && !(is_inclusive ? v >= threshold : v > threshold)) {
            continue;
        }
        size_t i = index % g->dims[0];
        size_t j = (index / g->dims[0]) % g->dims[1];
        size_t k = index / (g->dims[0] * g->dims[1]);
        RertVec3 ijk = {(double)i, (double)j, (double)k};
        RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
        RertVec3 pa = rert_mat4_apply_point(a, x);
        RertVec3 pb = rert_mat4_apply_point(b, x);
        double dx = pa.x - pb.x;
        double dy = pa.y - pb.y;
        double dz = pa.z - pb.z;
        double d = sqrt(dx * dx + dy * dy + dz * dz);
        sum += d;
        max = d > max ? d : max;
        n++;
    }
    if (n == 0) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "registration compare: no voxel above the "
                              "threshold %g",
                              threshold);
    }
    out->mean_mm = sum / (double)n;
    out->max_mm = max;
    out->rotation_deg = rotation_angle_deg(a_inv, b);
    out->voxels = n;
    return true;
}

bool rert_registration_compare(RertError *err,
                               const RertVolume *region,
                               double threshold,
                               RertMat4 a,
                               RertMat4 b,
                               RertRegistrationDifference *out)
{
    if (region == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "registration compare: NULL region or output");
    }
    return compare_region(err, rert_volume_geometry(region),
                          rert_volume_data_const(region), threshold, false, a,
                          b, out);
}

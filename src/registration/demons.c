/* Deformable registration: multi-resolution diffeomorphic demons with
 * symmetric forces, started from a rigid registration (Thirion, Med Image
 * Anal 1998; Vercauteren et al., NeuroImage 2009; docs/deformable.md). */
#include <math.h>
#include <string.h>
#include <time.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "demons_internal.h"
#include "internal.h"
#include "vf_internal.h"

RertDeformableOptions rert_deformable_options_default(void)
{
    RertDeformableOptions o;
    memset(&o, 0, sizeof o);
    o.levels = RERT_DEFORMABLE_DEFAULT_LEVELS;
    for (unsigned l = 0; l < RERT_DEFORMABLE_MAX_LEVELS; l++) {
        o.iterations[l] = RERT_DEFORMABLE_DEFAULT_ITERATIONS;
    }
    o.min_spacing_mm = RERT_DEFORMABLE_DEFAULT_MIN_SPACING_MM;
    o.rigid_spacing_mm = RERT_DEFORMABLE_DEFAULT_RIGID_SPACING_MM;
    o.fluid_sigma = RERT_DEFORMABLE_DEFAULT_FLUID_SIGMA;
    o.diffusion_sigma = RERT_DEFORMABLE_DEFAULT_DIFFUSION_SIGMA;
    o.max_step = RERT_DEFORMABLE_DEFAULT_MAX_STEP;
    o.body_threshold = RERT_DEFORMABLE_DEFAULT_BODY_THRESHOLD;
    o.use_threshold_mask = true;
    o.mask_dilation = RERT_DEFORMABLE_DEFAULT_MASK_DILATION;
    o.initial = rert_mat4_identity();
    o.rigid = rert_rigid_options_default();
    return o;
}

static double now_seconds(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool options_check(RertError *err, const RertDeformableOptions *o)
{
    const char *bad = NULL;
    if (o->levels < 1 || o->levels > RERT_DEFORMABLE_MAX_LEVELS) {
        bad = "levels (expected 1..5)";
    } else if (!(o->fluid_sigma >= 0.0 && o->fluid_sigma <= 8.0)) {
        bad = "fluid_sigma (expected 0..8 voxels)";
    } else if (!(o->diffusion_sigma >= 0.0 && o->diffusion_sigma <= 8.0)) {
        bad = "diffusion_sigma (expected 0..8 voxels)";
    } else if (!(o->max_step > 0.0 && o->max_step <= 10.0)) {
        bad = "max_step (expected > 0 and <= 10 voxels)";
    } else if (!(o->min_spacing_mm >= 0.0 && o->min_spacing_mm <= 50.0)) {
        bad = "min_spacing_mm (expected 0..50)";
    } else if (!(o->rigid_spacing_mm >= 0.0 && o->rigid_spacing_mm <= 50.0)) {
        bad = "rigid_spacing_mm (expected 0..50)";
    } else if (!isfinite(o->body_threshold)) {
        bad = "body_threshold (expected a finite value)";
    } else if (o->mask_dilation > 10) {
        bad = "mask_dilation (expected 0..10 voxels)";
    } else if (o->has_initial && !rert_mat4_is_rigid(o->initial, 1e-6)) {
        bad = "initial (expected a rigid matrix)";
    }
    for (unsigned l = 0; bad == NULL && l < o->levels; l++) {
        if (o->iterations[l] > 1000) {
            bad = "iterations (expected at most 1000 per level)";
        }
    }
    if (bad != NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "deformable registration options: bad %s", bad);
    }
    return true;
}

/* Block-average shrink factors for level @p level: voxels of about
 * 2^(levels-1-level) * max(finest spacing, min_spacing) along each axis,
 * keeping at least 4 voxels on axes that have them. */
static void level_shrink(const RertGridGeometry *g,
                         const RertDeformableOptions *o,
                         unsigned level,
                         size_t shrink[3])
{
    double finest = g->spacing_mm[0];
    for (int a = 1; a < 3; a++) {
        finest = g->spacing_mm[a] < finest ? g->spacing_mm[a] : finest;
    }
    finest = finest < o->min_spacing_mm ? o->min_spacing_mm : finest;
    double target = ldexp(finest, (int)(o->levels - 1u - level));
    for (int a = 0; a < 3; a++) {
        double s = floor(target / g->spacing_mm[a] + 0.5);
        size_t n = s < 1.0 ? 1 : (size_t)s;
        while (n > 1 && g->dims[a] / n < 4) {
            n--;
        }
        shrink[a] = n;
    }
}

static void level_clear(DemonsLevel *lv)
{
    rert_volume_destroy(lv->fixed);
    rert_volume_destroy(lv->moving);
    rert_free(lv->mask);
    rert_free(lv->grad_fixed);
    rert_free(lv->counts);
    memset(lv, 0, sizeof *lv);
}

/* Grow the mask by one voxel (6-neighbourhood) @p passes times. */
static bool dilate(RertError *err,
                   const RertGridGeometry *g,
                   uint8_t *mask,
                   unsigned passes)
{
    size_t n = rert_grid_voxel_count(g);
    uint8_t *copy = rert_alloc(err, n);
    if (copy == NULL) {
        return false;
    }
    for (unsigned p = 0; p < passes; p++) {
        memcpy(copy, mask, n);
        for (size_t k = 0; k < g->dims[2]; k++) {
            for (size_t j = 0; j < g->dims[1]; j++) {
                for (size_t i = 0; i < g->dims[0]; i++) {
                    size_t v = rert_grid_index(g, i, j, k);
                    bool on = copy[v] != 0 || (i > 0 && copy[v - 1] != 0) ||
                              (i + 1 < g->dims[0] && copy[v + 1] != 0) ||
                              (j > 0 && copy[v - g->dims[0]] != 0) ||
                              (j + 1 < g->dims[1] && copy[v + g->dims[0]]) ||
                              (k > 0 && copy[v - g->dims[0] * g->dims[1]]) ||
                              (k + 1 < g->dims[2] &&
                               copy[v + g->dims[0] * g->dims[1]]);
                    mask[v] = on ? 1u : 0u;
                }
            }
        }
    }
    rert_free(copy);
    return true;
}

/* The force mask of a level: the shrunk caller mask >= 0.5, else the
 * shrunk fixed image above the threshold (dilated), else everything. */
static bool level_mask(RertError *err,
                       DemonsLevel *lv,
                       const RertVolume *full_fixed,
                       const RertDeformableOptions *o,
                       const size_t shrink[3])
{
    size_t n = rert_grid_voxel_count(&lv->geometry);
    lv->mask = rert_alloc(err, n);
    if (lv->mask == NULL) {
        return false;
    }
    if (o->fixed_mask != NULL) {
        RertVolume *m =
            rert_volume_create(err, rert_volume_geometry(full_fixed));
        if (m == NULL) {
            return false;
        }
        memcpy(rert_volume_data(m), o->fixed_mask,
               rert_grid_voxel_count(rert_volume_geometry(full_fixed)) *
                   sizeof(float));
        RertVolume *small = reg_volume_shrink(err, m, shrink);
        rert_volume_destroy(m);
        if (small == NULL) {
            return false;
        }
        const float *d = rert_volume_data_const(small);
        for (size_t v = 0; v < n; v++) {
            lv->mask[v] = d[v] >= 0.5f ? 1u : 0u;
        }
        rert_volume_destroy(small);
        return true;
    }
    const float *f = rert_volume_data_const(lv->fixed);
    for (size_t v = 0; v < n; v++) {
        lv->mask[v] =
            (!o->use_threshold_mask || (double)f[v] > o->body_threshold) ? 1u
                                                                         : 0u;
    }
    if (!o->use_threshold_mask) {
        return true;
    }
    return dilate(err, &lv->geometry, lv->mask, o->mask_dilation);
}

static void fixed_gradient(DemonsLevel *lv)
{
    const RertGridGeometry *g = &lv->geometry;
    const float *f = rert_volume_data_const(lv->fixed);
    float *out = lv->grad_fixed;
    size_t nz = g->dims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(g, f, out, nz) schedule(static)
#endif
    for (size_t k = 0; k < nz; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                size_t at[3] = {i, j, k};
                demons_gradient(g, f, at,
                                out + 3 * rert_grid_index(g, i, j, k));
            }
        }
    }
}

static bool level_build(RertError *err,
                        DemonsLevel *lv,
                        const RertVolume *fixed,
                        const RertVolume *moving,
                        const RertDeformableOptions *o,
                        unsigned level)
{
    memset(lv, 0, sizeof *lv);
    size_t sf[3];
    size_t sm[3];
    level_shrink(rert_volume_geometry(fixed), o, level, sf);
    level_shrink(rert_volume_geometry(moving), o, level, sm);
    lv->fixed = reg_volume_shrink(err, fixed, sf);
    lv->moving = lv->fixed != NULL ? reg_volume_shrink(err, moving, sm) : NULL;
    if (lv->moving == NULL) {
        return false;
    }
    lv->geometry = *rert_volume_geometry(lv->fixed);
    const RertGridGeometry *g = &lv->geometry;
    size_t n = rert_grid_voxel_count(g);
    lv->grad_fixed = rert_alloc_voxels(err, n, 3 * sizeof(float));
    lv->counts = rert_calloc(err, g->dims[2], sizeof(size_t));
    if (lv->grad_fixed == NULL || lv->counts == NULL ||
        !level_mask(err, lv, fixed, o, sf)) {
        return false;
    }
    fixed_gradient(lv);
    double s2 = 0.0;
    lv->spacing_max_mm = 0.0;
    lv->spacing_min_mm = (double)INFINITY;
    for (int a = 0; a < 3; a++) {
        double s = g->spacing_mm[a];
        s2 += s * s / 3.0;
        lv->spacing_max_mm = s > lv->spacing_max_mm ? s : lv->spacing_max_mm;
        lv->spacing_min_mm = s < lv->spacing_min_mm ? s : lv->spacing_min_mm;
    }
    lv->sigma_x2 = s2;
    return true;
}

/* Work buffers of one level. */
typedef struct Work {
    float *s;      /* accumulated displacement (3 per voxel) */
    float *du;     /* update */
    float *tmp;    /* scratch field */
    float *warped; /* warped moving image */
    double *partial;
} Work;

static void work_clear(Work *w)
{
    rert_free(w->s);
    rert_free(w->du);
    rert_free(w->tmp);
    rert_free(w->warped);
    rert_free(w->partial);
    memset(w, 0, sizeof *w);
}

static bool work_init(RertError *err, Work *w, const RertGridGeometry *g)
{
    memset(w, 0, sizeof *w);
    size_t n = rert_grid_voxel_count(g);
    w->s = rert_alloc_voxels(err, n, 3 * sizeof(float));
    w->du = w->s ? rert_alloc_voxels(err, n, 3 * sizeof(float)) : NULL;
    w->tmp = w->du ? rert_alloc_voxels(err, n, 3 * sizeof(float)) : NULL;
    w->warped = w->tmp ? rert_alloc_voxels(err, n, sizeof(float)) : NULL;
    w->partial =
        w->warped ? rert_calloc(err, g->dims[2], sizeof(double)) : NULL;
    if (w->partial == NULL) {
        work_clear(w);
        return false;
    }
    return true;
}

/* The iterations of one level, starting from w->s. */
static void level_run(const DemonsLevel *lv,
                      const RertMat4 *rigid,
                      const RertDeformableOptions *o,
                      unsigned iterations,
                      Work *w,
                      double mse[2])
{
    const RertGridGeometry *g = &lv->geometry;
    size_t floats = 3 * rert_grid_voxel_count(g);
    double max_mm = o->max_step * lv->spacing_min_mm;
    mse[0] = demons_warp(lv, rigid, w->s, w->warped, w->partial);
    for (unsigned it = 0; it < iterations; it++) {
        demons_forces(lv, w->warped, w->du, max_mm);
        vf_smooth(g, w->du, 3, o->fluid_sigma);
        (void)demons_exponentiate(lv, w->du, w->tmp, w->partial);
        demons_compose(g, w->du, w->s, w->tmp);
        memcpy(w->s, w->tmp, floats * sizeof(float));
        vf_smooth(g, w->s, 3, o->diffusion_sigma);
        mse[1] = demons_warp(lv, rigid, w->s, w->warped, w->partial);
    }
    if (iterations == 0) {
        mse[1] = mse[0];
    }
}

/* Run every level; on success *s_out holds the finest level's
 * displacement s (before the rigid part) on *g_out. */
static bool run_levels(RertError *err,
                       const RertVolume *fixed,
                       const RertVolume *moving,
                       const RertDeformableOptions *o,
                       const RertMat4 *rigid,
                       RertDeformableResult *r,
                       float **s_out,
                       RertGridGeometry *g_out)
{
    float *prev = NULL;
    RertGridGeometry prev_g;
    memset(&prev_g, 0, sizeof prev_g);
    for (unsigned l = 0; l < o->levels; l++) {
        DemonsLevel lv;
        Work w;
        if (!level_build(err, &lv, fixed, moving, o, l) ||
            !work_init(err, &w, &lv.geometry)) {
            level_clear(&lv);
            rert_free(prev);
            return false;
        }
        if (prev != NULL) {
            vf_resample(&prev_g, prev, &lv.geometry, w.s);
            rert_free(prev);
        }
        unsigned iterations = o->iterations[l];
        double mse[2];
        level_run(&lv, rigid, o, iterations, &w, mse);
        r->iterations[l] = iterations;
        r->level_spacing_mm[l] = lv.spacing_max_mm;
        r->mse_start[l] = mse[0];
        r->mse_end[l] = mse[1];
        prev = w.s;
        w.s = NULL;
        prev_g = lv.geometry;
        work_clear(&w);
        level_clear(&lv);
    }
    r->level_count = o->levels;
    *s_out = prev;
    *g_out = prev_g;
    return true;
}

/* The quality region on the full fixed grid: the caller's mask, else the
 * voxels above the threshold, else every voxel (NULL). */
static bool quality_mask(RertError *err,
                         const RertVolume *fixed,
                         const RertDeformableOptions *o,
                         float **out,
                         size_t *count)
{
    const RertGridGeometry *g = rert_volume_geometry(fixed);
    size_t n = rert_grid_voxel_count(g);
    *out = NULL;
    *count = n;
    if (o->fixed_mask == NULL && !o->use_threshold_mask) {
        return true;
    }
    float *m = rert_alloc_voxels(err, n, sizeof(float));
    if (m == NULL) {
        return false;
    }
    const float *f = rert_volume_data_const(fixed);
    size_t c = 0;
    for (size_t v = 0; v < n; v++) {
        bool in = o->fixed_mask != NULL ? o->fixed_mask[v] >= 0.5f
                                        : (double)f[v] > o->body_threshold;
        m[v] = in ? 1.0f : 0.0f;
        c += in ? 1u : 0u;
    }
    if (c == 0) {
        rert_free(m);
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "deformable registration: no fixed voxel in "
                              "the %s",
                              o->fixed_mask != NULL
                                  ? "mask (expected values >= 0.5)"
                                  : "body (expected values above the "
                                    "threshold)");
    }
    *out = m;
    *count = c;
    return true;
}

/* u(x) = R (x + s(x)) - x in place on the field (which holds s), with
 * the deformable part's size over the mask. */
static void add_rigid(RertVectorField *f,
                      const RertMat4 *rigid,
                      const float *mask,
                      RertDeformableResult *r)
{
    const RertGridGeometry *g = &f->geometry;
    double sum = 0.0;
    double max = 0.0;
    size_t n = 0;
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                size_t v = rert_grid_index(g, i, j, k);
                float *u = f->data + 3 * v;
                double len = sqrt((double)u[0] * (double)u[0] +
                                  (double)u[1] * (double)u[1] +
                                  (double)u[2] * (double)u[2]);
                if (mask == NULL || mask[v] >= 0.5f) {
                    sum += len;
                    max = len > max ? len : max;
                    n++;
                }
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 x = rert_grid_ijk_to_xyz(g, ijk);
                RertVec3 y = {x.x + (double)u[0], x.y + (double)u[1],
                              x.z + (double)u[2]};
                RertVec3 p = rert_mat4_apply_point(*rigid, y);
                u[0] = (float)(p.x - x.x);
                u[1] = (float)(p.y - x.y);
                u[2] = (float)(p.z - x.z);
            }
        }
    }
    r->deformation_mean_mm = n > 0 ? sum / (double)n : 0.0;
    r->deformation_max_mm = max;
}

/* Block-average shrink factors giving voxels of about @p mm. */
static void spacing_shrink(const RertGridGeometry *g, double mm, size_t out[3])
{
    for (int a = 0; a < 3; a++) {
        double s = floor(mm / g->spacing_mm[a] + 0.5);
        size_t n = s < 1.0 ? 1 : (size_t)s;
        while (n > 1 && g->dims[a] / n < 8) {
            n--;
        }
        out[a] = n;
    }
}

/* The fixed image, the moving image and the fixed mask (or NULL) as the
 * rigid start sees them: block averages of about rigid_spacing_mm. */
static bool shrink_for_rigid(RertError *err,
                             const RertVolume *fixed,
                             const RertVolume *moving,
                             const RertDeformableOptions *o,
                             RertVolume *out[3])
{
    size_t sf[3];
    size_t sm[3];
    double mm = o->rigid_spacing_mm;
    spacing_shrink(rert_volume_geometry(fixed), mm, sf);
    spacing_shrink(rert_volume_geometry(moving), mm, sm);
    out[0] = reg_volume_shrink(err, fixed, sf);
    out[1] = out[0] != NULL ? reg_volume_shrink(err, moving, sm) : NULL;
    if (out[1] == NULL) {
        return false;
    }
    if (o->fixed_mask == NULL) {
        return true;
    }
    RertVolume *m = rert_volume_create(err, rert_volume_geometry(fixed));
    if (m == NULL) {
        return false;
    }
    memcpy(rert_volume_data(m), o->fixed_mask,
           rert_grid_voxel_count(rert_volume_geometry(fixed)) * sizeof(float));
    out[2] = reg_volume_shrink(err, m, sf);
    rert_volume_destroy(m);
    return out[2] != NULL;
}

static bool rigid_start(RertError *err,
                        const RertVolume *fixed,
                        const RertVolume *moving,
                        const RertDeformableOptions *o,
                        RertDeformableResult *r)
{
    if (o->has_initial) {
        r->rigid_fixed_to_moving = o->initial;
        return true;
    }
    double t0 = now_seconds();
    RertRigidOptions ro = o->rigid;
    RertVolume *small[3] = {NULL, NULL, NULL};
    bool ok = shrink_for_rigid(err, fixed, moving, o, small);
    if (ok && o->fixed_mask != NULL) {
        ro.fixed_mask = rert_volume_data_const(small[2]);
    }
    ok = ok && rert_rigid_register(err, small[0], small[1], &ro, &r->rigid);
    for (int i = 0; i < 3; i++) {
        rert_volume_destroy(small[i]);
    }
    if (!ok) {
        rert_error_prefix(err, "deformable registration, rigid start");
        return false;
    }
    r->ran_rigid = true;
    r->rigid_fixed_to_moving = r->rigid.fixed_to_moving;
    r->seconds_rigid = now_seconds() - t0;
    return true;
}

/* Jacobian and truth figures of the final field. */
static bool final_figures(RertError *err,
                          const RertVectorField *f,
                          const float *mask,
                          const RertDeformableOptions *o,
                          RertDeformableResult *r)
{
    if (!rert_vector_field_jacobian(err, f, mask, &r->jacobian)) {
        return false;
    }
    if (o->truth != NULL) {
        if (!rert_vector_field_compare(err, f, o->truth, mask,
                                       &r->truth_error)) {
            rert_error_prefix(err, "deformable registration truth");
            return false;
        }
        r->has_truth = true;
    }
    return true;
}

RertVectorField *rert_deformable_register(RertError *err,
                                          const RertVolume *fixed,
                                          const RertVolume *moving,
                                          const RertDeformableOptions *options,
                                          RertDeformableResult *result)
{
    RertDeformableOptions o =
        options != NULL ? *options : rert_deformable_options_default();
    RertDeformableResult local;
    memset(&local, 0, sizeof local);
    RertDeformableResult *r = result != NULL ? result : &local;
    memset(r, 0, sizeof *r);
    if (fixed == NULL || moving == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "deformable registration: NULL volume");
        return NULL;
    }
    if (!options_check(err, &o)) {
        return NULL;
    }
    double t0 = now_seconds();
    float *mask = NULL;
    float *s = NULL;
    RertVectorField *f = NULL;
    RertGridGeometry sg;
    if (!quality_mask(err, fixed, &o, &mask, &r->mask_voxels) ||
        !rigid_start(err, fixed, moving, &o, r) ||
        !run_levels(err, fixed, moving, &o, &r->rigid_fixed_to_moving, r, &s,
                    &sg)) {
        goto fail;
    }
    f = vf_new(err, rert_volume_geometry(fixed));
    if (f == NULL) {
        goto fail;
    }
    vf_resample(&sg, s, &f->geometry, f->data);
    add_rigid(f, &r->rigid_fixed_to_moving, mask, r);
    if (!final_figures(err, f, mask, &o, r)) {
        goto fail;
    }
    rert_free(s);
    rert_free(mask);
    r->seconds_total = now_seconds() - t0;
    return f;
fail:
    rert_vector_field_destroy(f);
    rert_free(s);
    rert_free(mask);
    return NULL;
}

/* Registration quality figures: Dice, surface distances (exact separable
 * Euclidean distance transform, Felzenszwalb & Huttenlocher, Theory of
 * Computing 2012), landmark TRE, and the AAPM TG-132 tolerances as data
 * with their sources (reirradiation-science.md §2.4). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

/* ---- TG-132 tolerances (reirradiation-science.md §2.4) */

#define TG132_VIA_LATIFI                                                       \
    "AAPM TG-132 (Brock KK et al., Med Phys 2017;44:e43-e76), as quoted by "   \
    "Latifi K et al., JACMP 2018;19(4):125-133 (abstract checked)"
#define TG132_RECALLED                                                         \
    "AAPM TG-132 (Brock KK et al., Med Phys 2017), commonly quoted contour "   \
    "criteria; NOT verified against the report"

static const RertRegistrationTolerance tg132[] = {
    {"rigid_error_voxel", "Rigid registration error", RERT_TOLERANCE_AT_MOST,
     0.5, "voxel", "V2", TG132_VIA_LATIFI},
    {"dir_tre_mean_mm", "DIR landmark TRE, mean", RERT_TOLERANCE_AT_MOST, 2.0,
     "mm", "V2", TG132_VIA_LATIFI},
    {"dir_tre_max_mm", "DIR landmark TRE, maximum", RERT_TOLERANCE_AT_MOST, 5.0,
     "mm", "V2", TG132_VIA_LATIFI},
    {"contour_dice", "Dice of propagated vs drawn contour (0.8-0.9)",
     RERT_TOLERANCE_AT_LEAST, 0.8, "", "R", TG132_RECALLED},
    {"contour_mean_distance_voxel",
     "Mean distance to agreement (about one voxel, 2-3 mm)",
     RERT_TOLERANCE_AT_MOST, 1.0, "voxel", "R", TG132_RECALLED},
    {"jacobian_folded_frac", "Voxels with Jacobian determinant <= 0",
     RERT_TOLERANCE_AT_MOST, 0.0, "", "R",
     "Standard requirement of a physically plausible (invertible) "
     "deformation; reirradiation-science.md §2.4 [R, standard]"},
};

size_t rert_tg132_tolerance_count(void)
{
    return sizeof tg132 / sizeof tg132[0];
}

const RertRegistrationTolerance *rert_tg132_tolerance(size_t index)
{
    return index < rert_tg132_tolerance_count() ? &tg132[index] : NULL;
}

/* ---- landmarks */

static bool finite_point(RertVec3 p)
{
    return isfinite(p.x) && isfinite(p.y) && isfinite(p.z);
}

bool rert_landmark_error_compute(RertError *err,
                                 const RertTransform *transform,
                                 const RertVec3 *fixed_mm,
                                 const RertVec3 *moving_mm,
                                 size_t count,
                                 double *errors_mm,
                                 RertLandmarkStats *out)
{
    if (fixed_mm == NULL || moving_mm == NULL || out == NULL || count == 0) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "landmark error: NULL points or output, or no "
                              "landmark pairs");
    }
    RertLandmarkStats s;
    memset(&s, 0, sizeof s);
    double sum = 0.0;
    double sum2 = 0.0;
    for (size_t i = 0; i < count; i++) {
        if (!finite_point(fixed_mm[i]) || !finite_point(moving_mm[i])) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "landmark error: pair %zu has a non-finite "
                                  "coordinate",
                                  i + 1);
        }
        RertVec3 p = transform != NULL
                         ? rert_transform_apply(transform, fixed_mm[i])
                         : fixed_mm[i];
        double dx = p.x - moving_mm[i].x;
        double dy = p.y - moving_mm[i].y;
        double dz = p.z - moving_mm[i].z;
        double d = sqrt(dx * dx + dy * dy + dz * dz);
        if (errors_mm != NULL) {
            errors_mm[i] = d;
        }
        sum += d;
        sum2 += d * d;
        if (d > s.max_mm || i == 0) {
            s.max_mm = d;
            s.worst_index = i;
        }
    }
    double n = (double)count;
    s.count = count;
    s.mean_mm = sum / n;
    s.sd_mm =
        count > 1
            ? sqrt(fmax(0.0, (sum2 - n * s.mean_mm * s.mean_mm) / (n - 1.0)))
            : 0.0;
    *out = s;
    return true;
}

/* ---- overlap and surface distances */

/* The bounding box of the voxels of A or B, and the member counts. */
typedef struct Box {
    size_t lo[3];
    size_t n[3];
    size_t voxels;
} Box;

static void
grow_box(const RertGridGeometry *g, size_t idx, size_t lo[3], size_t hi[3])
{
    size_t p[3] = {idx % g->dims[0], (idx / g->dims[0]) % g->dims[1],
                   idx / (g->dims[0] * g->dims[1])};
    for (int ax = 0; ax < 3; ax++) {
        lo[ax] = p[ax] < lo[ax] ? p[ax] : lo[ax];
        hi[ax] = p[ax] > hi[ax] ? p[ax] : hi[ax];
    }
}

static bool bounding_box(RertError *err,
                         const RertGridGeometry *g,
                         const float *a,
                         const float *b,
                         double threshold,
                         Box *box,
                         size_t counts[3])
{
    size_t lo[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    size_t hi[3] = {0, 0, 0};
    counts[0] = counts[1] = counts[2] = 0;
    size_t n = rert_grid_voxel_count(g);
    for (size_t idx = 0; idx < n; idx++) {
        bool in_a = (double)a[idx] >= threshold;
        bool in_b = (double)b[idx] >= threshold;
        counts[0] += in_a ? 1u : 0u;
        counts[1] += in_b ? 1u : 0u;
        counts[2] += in_a && in_b ? 1u : 0u;
        if (in_a || in_b) {
            grow_box(g, idx, lo, hi);
        }
    }
    if (counts[0] == 0 || counts[1] == 0) {
        return rert_error_set(err, RERT_ERR_GEOMETRY,
                              "overlap: structure %s has no voxel with "
                              "occupancy >= %g",
                              counts[0] == 0 ? "A" : "B", threshold);
    }
    box->voxels = 1;
    for (int ax = 0; ax < 3; ax++) {
        box->lo[ax] = lo[ax];
        box->n[ax] = hi[ax] - lo[ax] + 1;
        box->voxels *= box->n[ax];
    }
    return true;
}

/* Member flags of one structure inside the box. */
static void box_members(const RertGridGeometry *g,
                        const Box *box,
                        const float *occ,
                        double threshold,
                        uint8_t *member)
{
    size_t q = 0;
    for (size_t k = 0; k < box->n[2]; k++) {
        for (size_t j = 0; j < box->n[1]; j++) {
            for (size_t i = 0; i < box->n[0]; i++) {
                size_t idx = rert_grid_index(g, box->lo[0] + i, box->lo[1] + j,
                                             box->lo[2] + k);
                member[q++] = (double)occ[idx] >= threshold ? 1u : 0u;
            }
        }
    }
}

/* Member with a 6-neighbour that is not (outside the box counts as not:
 * the box holds every member). */
static bool
is_surface(const Box *box, const uint8_t *m, size_t i, size_t j, size_t k)
{
    size_t nx = box->n[0];
    size_t ny = box->n[1];
    size_t q = (k * ny + j) * nx + i;
    if (m[q] == 0) {
        return false;
    }
    if (i == 0 || j == 0 || k == 0 || i + 1 == nx || j + 1 == ny ||
        k + 1 == box->n[2]) {
        return true;
    }
    return m[q - 1] == 0 || m[q + 1] == 0 || m[q - nx] == 0 || m[q + nx] == 0 ||
           m[q - nx * ny] == 0 || m[q + nx * ny] == 0;
}

/* Scratch for one line of the distance transform. */
typedef struct Line {
    double *f;
    double *d;
    double *z;
    size_t *v;
} Line;

/* 1-D squared distance transform with sample spacing^2 @p s2 (lower
 * envelope of parabolas); infinite samples are not sites. */
static void edt_line(Line *l, size_t n, double s2)
{
    size_t k = 0;
    bool any = false;
    for (size_t q = 0; q < n; q++) {
        if (isinf(l->f[q])) {
            continue;
        }
        double fq = l->f[q] + s2 * (double)q * (double)q;
        if (!any) {
            any = true;
            l->v[0] = q;
            l->z[0] = -HUGE_VAL;
            l->z[1] = HUGE_VAL;
            continue;
        }
        double s = 0.0;
        for (;;) {
            size_t p = l->v[k];
            double fp = l->f[p] + s2 * (double)p * (double)p;
            s = (fq - fp) / (2.0 * s2 * ((double)q - (double)p));
            if (s > l->z[k] || k == 0) {
                break;
            }
            k--;
        }
        k++;
        l->v[k] = q;
        l->z[k] = s;
        l->z[k + 1] = HUGE_VAL;
    }
    size_t j = 0;
    for (size_t q = 0; q < n; q++) {
        if (!any) {
            l->d[q] = HUGE_VAL;
            continue;
        }
        while (l->z[j + 1] < (double)q) {
            j++;
        }
        double dq = (double)q - (double)l->v[j];
        l->d[q] = s2 * dq * dq + l->f[l->v[j]];
    }
}

/* Squared distance (mm^2) from every box voxel to the nearest site,
 * in place on @p dist, one axis at a time. */
static void
edt_3d(const Box *box, const double spacing[3], double *dist, Line *l)
{
    const size_t stride[3] = {1, box->n[0], box->n[0] * box->n[1]};
    for (int ax = 0; ax < 3; ax++) {
        int a1 = (ax + 1) % 3;
        int a2 = (ax + 2) % 3;
        double s2 = spacing[ax] * spacing[ax];
        for (size_t u = 0; u < box->n[a2]; u++) {
            for (size_t t = 0; t < box->n[a1]; t++) {
                size_t base = u * stride[a2] + t * stride[a1];
                for (size_t q = 0; q < box->n[ax]; q++) {
                    l->f[q] = dist[base + q * stride[ax]];
                }
                edt_line(l, box->n[ax], s2);
                for (size_t q = 0; q < box->n[ax]; q++) {
                    dist[base + q * stride[ax]] = l->d[q];
                }
            }
        }
    }
}

/* Distances from the surface voxels of @p from to the surface of @p to;
 * @p out receives one per surface voxel of @p from, @p count their number.
 */
static void surface_distances(const Box *box,
                              const double spacing[3],
                              const uint8_t *from,
                              const uint8_t *to,
                              double *dist,
                              Line *l,
                              double *out,
                              size_t *count)
{
    size_t q = 0;
    for (size_t k = 0; k < box->n[2]; k++) {
        for (size_t j = 0; j < box->n[1]; j++) {
            for (size_t i = 0; i < box->n[0]; i++) {
                dist[q++] = is_surface(box, to, i, j, k) ? 0.0 : HUGE_VAL;
            }
        }
    }
    edt_3d(box, spacing, dist, l);
    size_t n = 0;
    q = 0;
    for (size_t k = 0; k < box->n[2]; k++) {
        for (size_t j = 0; j < box->n[1]; j++) {
            for (size_t i = 0; i < box->n[0]; i++, q++) {
                if (is_surface(box, from, i, j, k)) {
                    out[n++] = sqrt(dist[q]);
                }
            }
        }
    }
    *count = n;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean, maximum and 95th percentile (nearest rank) of @p n distances;
 * sorts @p d. */
static void
summarise(double *d, size_t n, double *mean, double *max, double *p95)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += d[i];
    }
    qsort(d, n, sizeof *d, compare_double);
    *mean = sum / (double)n;
    *max = d[n - 1];
    size_t rank = (size_t)ceil(0.95 * (double)n);
    *p95 = d[(rank > 0 ? rank : 1) - 1];
}

typedef struct Work {
    uint8_t *member_a;
    uint8_t *member_b;
    double *dist;
    double *d_ab;
    double *d_ba;
    Line line;
} Work;

static void work_clear(Work *w)
{
    rert_free(w->member_a);
    rert_free(w->member_b);
    rert_free(w->dist);
    rert_free(w->d_ab);
    rert_free(w->d_ba);
    rert_free(w->line.f);
    rert_free(w->line.d);
    rert_free(w->line.z);
    rert_free(w->line.v);
}

static bool work_init(RertError *err, Work *w, const Box *box)
{
    size_t longest = box->n[0];
    longest = box->n[1] > longest ? box->n[1] : longest;
    longest = box->n[2] > longest ? box->n[2] : longest;
    memset(w, 0, sizeof *w);
    w->member_a = rert_calloc(err, box->voxels, 1);
    w->member_b = rert_calloc(err, box->voxels, 1);
    w->dist = rert_calloc(err, box->voxels, sizeof(double));
    w->d_ab = rert_calloc(err, box->voxels, sizeof(double));
    w->d_ba = rert_calloc(err, box->voxels, sizeof(double));
    w->line.f = rert_calloc(err, longest, sizeof(double));
    w->line.d = rert_calloc(err, longest, sizeof(double));
    w->line.z = rert_calloc(err, longest + 1, sizeof(double));
    w->line.v = rert_calloc(err, longest, sizeof(size_t));
    return w->member_a != NULL && w->member_b != NULL && w->dist != NULL &&
           w->d_ab != NULL && w->d_ba != NULL && w->line.f != NULL &&
           w->line.d != NULL && w->line.z != NULL && w->line.v != NULL;
}

bool rert_structure_agreement_compute(RertError *err,
                                      const RertGridGeometry *grid,
                                      const float *a,
                                      const float *b,
                                      double threshold,
                                      RertStructureAgreement *out)
{
    if (grid == NULL || a == NULL || b == NULL || out == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "overlap: NULL argument");
    }
    if (!(threshold > 0.0 && threshold <= 1.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "overlap: threshold %g, expected in (0, 1]",
                              threshold);
    }
    Box box;
    size_t counts[3];
    if (!bounding_box(err, grid, a, b, threshold, &box, counts)) {
        return false;
    }
    Work w;
    if (!work_init(err, &w, &box)) {
        work_clear(&w);
        return false;
    }
    box_members(grid, &box, a, threshold, w.member_a);
    box_members(grid, &box, b, threshold, w.member_b);
    RertStructureAgreement s;
    memset(&s, 0, sizeof s);
    surface_distances(&box, grid->spacing_mm, w.member_a, w.member_b, w.dist,
                      &w.line, w.d_ab, &s.surface_a);
    surface_distances(&box, grid->spacing_mm, w.member_b, w.member_a, w.dist,
                      &w.line, w.d_ba, &s.surface_b);
    double cc = rert_grid_voxel_cc(grid);
    s.volume_a_cc = (double)counts[0] * cc;
    s.volume_b_cc = (double)counts[1] * cc;
    s.intersection_cc = (double)counts[2] * cc;
    s.dice = 2.0 * (double)counts[2] / (double)(counts[0] + counts[1]);
    double max_ab = 0.0;
    double max_ba = 0.0;
    double p_ab = 0.0;
    double p_ba = 0.0;
    summarise(w.d_ab, s.surface_a, &s.mean_a_to_b_mm, &max_ab, &p_ab);
    summarise(w.d_ba, s.surface_b, &s.mean_b_to_a_mm, &max_ba, &p_ba);
    s.mean_surface_mm = (s.mean_a_to_b_mm * (double)s.surface_a +
                         s.mean_b_to_a_mm * (double)s.surface_b) /
                        (double)(s.surface_a + s.surface_b);
    s.hausdorff_mm = fmax(max_ab, max_ba);
    s.hausdorff95_mm = fmax(p_ab, p_ba);
    work_clear(&w);
    *out = s;
    return true;
}

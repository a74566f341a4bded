/* Threshold contours of an SUV volume inside a bounding structure: marching
 * squares per slice on SUV - threshold (Lorensen and Cline's 2D case, with
 * linear interpolation along edges and the cell-centre mean deciding
 * saddles), segments chained into closed polygons in patient mm. */
#include <math.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/pet.h>

#include "internal.h"

/* Points closer than this (voxel units) are merged. */
#define SAME_POINT_EPS 1e-9

struct RertPetContour {
    RertVec3 *points;
    size_t point_count;
    size_t point_cap;
    size_t *starts; /* first point of each polygon */
    size_t *counts;
    size_t polygon_count;
    size_t polygon_cap;
    RertPolygon *polygons; /* built at the end */
    double threshold;
    double bound_max;
    size_t voxel_count;
};

RertPetContourOptions rert_pet_contour_options_default(void)
{
    RertPetContourOptions o;
    memset(&o, 0, sizeof o);
    o.fraction_of_max = 0.4;
    o.inside_fraction = 0.5;
    o.raster = rert_raster_options_default();
    return o;
}

void rert_pet_contour_destroy(RertPetContour *c)
{
    if (c == NULL) {
        return;
    }
    rert_free(c->points);
    rert_free(c->starts);
    rert_free(c->counts);
    rert_free(c->polygons);
    rert_free(c);
}

const RertPolygon *rert_pet_contour_polygons(const RertPetContour *c,
                                             size_t *count)
{
    *count = c->polygon_count;
    return c->polygon_count > 0 ? c->polygons : NULL;
}

double rert_pet_contour_threshold(const RertPetContour *c)
{
    return c->threshold;
}

double rert_pet_contour_bound_max(const RertPetContour *c)
{
    return c->bound_max;
}

size_t rert_pet_contour_voxel_count(const RertPetContour *c)
{
    return c->voxel_count;
}

/* ---- one slice */

/* Working arrays for one slice on the padded corner grid (a ring of
 * "below" corners around the image closes every contour). */
typedef struct Slice {
    size_t w;             /* padded width, dims[0] + 2 */
    size_t h;             /* padded height, dims[1] + 2 */
    double *f;            /* SUV - threshold at each corner */
    unsigned char *bound; /* corner inside the bounding structure */
    size_t *next;         /* per edge id: the edge the contour goes to */
    double *pi;           /* per edge id: crossing point, voxel i, j */
    double *pj;
} Slice;

static void slice_clear(Slice *s)
{
    rert_free(s->f);
    rert_free(s->bound);
    rert_free(s->next);
    rert_free(s->pi);
    rert_free(s->pj);
    memset(s, 0, sizeof *s);
}

static bool slice_init(RertError *err, const RertGridGeometry *g, Slice *s)
{
    memset(s, 0, sizeof *s);
    size_t corners = 0;
    size_t edges = 0;
    if (!rert_add_size(err, g->dims[0], 2, &s->w) ||
        !rert_add_size(err, g->dims[1], 2, &s->h) ||
        !rert_mul_size(err, s->w, s->h, &corners) ||
        !rert_mul_size(err, corners, 2, &edges)) {
        return false;
    }
    s->f = rert_calloc(err, corners, sizeof *s->f);
    s->bound = rert_calloc(err, corners, sizeof *s->bound);
    s->next = rert_calloc(err, edges, sizeof *s->next);
    s->pi = rert_calloc(err, edges, sizeof *s->pi);
    s->pj = rert_calloc(err, edges, sizeof *s->pj);
    if (s->f == NULL || s->bound == NULL || s->next == NULL || s->pi == NULL ||
        s->pj == NULL) {
        slice_clear(s);
        return false;
    }
    return true;
}

/* Fill the corner field of slice @p k; false when the bound misses it. */
static bool slice_field(Slice *s,
                        const RertGridGeometry *g,
                        const float *v,
                        const float *occ,
                        size_t k,
                        double threshold,
                        double inside,
                        RertPetContour *c)
{
    bool any = false;
    for (size_t idx = 0; idx < s->w * s->h; idx++) {
        s->f[idx] = -1.0;
        s->bound[idx] = 0;
    }
    for (size_t n = 0; n < 2 * s->w * s->h; n++) {
        s->next[n] = SIZE_MAX;
    }
    for (size_t j = 0; j < g->dims[1]; j++) {
        for (size_t i = 0; i < g->dims[0]; i++) {
            size_t idx = rert_grid_index(g, i, j, k);
            if ((double)occ[idx] < inside) {
                continue;
            }
            size_t p = (j + 1) * s->w + (i + 1);
            s->f[p] = (double)v[idx] - threshold;
            s->bound[p] = 1;
            any = true;
            c->voxel_count += s->f[p] >= 0.0 ? 1u : 0u;
        }
    }
    return any;
}

static bool corner_in(const Slice *s, size_t p)
{
    return s->bound[p] != 0 && s->f[p] >= 0.0;
}

/* Crossing on the edge from corner @p a to corner @p b (padded index
 * coordinates ax, ay -> bx, by); stores the point under edge id @p e. */
static void crossing(Slice *s,
                     size_t e,
                     size_t a,
                     size_t b,
                     double ax,
                     double ay,
                     double bx,
                     double by)
{
    double t = 0.5;
    if (s->bound[a] != 0 && s->bound[b] != 0) {
        t = s->f[a] / (s->f[a] - s->f[b]);
    }
    s->pi[e] = ax + t * (bx - ax) - 1.0; /* back to voxel i */
    s->pj[e] = ay + t * (by - ay) - 1.0;
}

typedef struct Cell {
    size_t corner[4]; /* b0 (x,y), b1 (x+1,y), b2 (x+1,y+1), b3 (x,y+1) */
    size_t edge[4];   /* e0 bottom, e1 right, e2 top, e3 left */
    bool in[4];
    double x;
    double y;
} Cell;

static void cell_make(const Slice *s, size_t x, size_t y, Cell *c)
{
    c->x = (double)x;
    c->y = (double)y;
    c->corner[0] = y * s->w + x;
    c->corner[1] = c->corner[0] + 1;
    c->corner[2] = c->corner[1] + s->w;
    c->corner[3] = c->corner[0] + s->w;
    c->edge[0] = 2 * c->corner[0];     /* horizontal at (x, y) */
    c->edge[1] = 2 * c->corner[1] + 1; /* vertical at (x+1, y) */
    c->edge[2] = 2 * c->corner[3];     /* horizontal at (x, y+1) */
    c->edge[3] = 2 * c->corner[0] + 1; /* vertical at (x, y) */
    for (int q = 0; q < 4; q++) {
        c->in[q] = corner_in(s, c->corner[q]);
    }
}

/* Corner offsets from the cell centre and the two edges of each corner. */
static const double corner_dx[4] = {-1.0, 1.0, 1.0, -1.0};
static const double corner_dy[4] = {-1.0, -1.0, 1.0, 1.0};
static const int edge_from[4] = {0, 1, 3, 0}; /* edge q joins corners */
static const int edge_to[4] = {1, 2, 2, 3};

/* Add a segment between edges @p ea and @p eb of the cell, oriented so
 * that direction (gx, gy), which points inside, is on its left. */
static void
segment(Slice *s, const Cell *c, int ea, int eb, double gx, double gy)
{
    for (int q = 0; q < 2; q++) {
        int e = q == 0 ? ea : eb;
        int a = edge_from[e];
        int b = edge_to[e];
        crossing(s, c->edge[e], c->corner[a], c->corner[b],
                 c->x + (corner_dx[a] + 1.0) / 2.0,
                 c->y + (corner_dy[a] + 1.0) / 2.0,
                 c->x + (corner_dx[b] + 1.0) / 2.0,
                 c->y + (corner_dy[b] + 1.0) / 2.0);
    }
    /* Orientation from the edge midpoints, never degenerate (the crossing
     * points may coincide at a corner whose value equals the threshold). */
    static const double mid_x[4] = {0.0, 1.0, 0.0, -1.0};
    static const double mid_y[4] = {-1.0, 0.0, 1.0, 0.0};
    size_t pa = c->edge[ea];
    size_t pb = c->edge[eb];
    double dx = mid_x[eb] - mid_x[ea];
    double dy = mid_y[eb] - mid_y[ea];
    if (dx * gy - dy * gx > 0.0) {
        s->next[pa] = pb;
    } else {
        s->next[pb] = pa;
    }
}

/* Segment cutting off corner @p q (its two edges). */
static void cut_corner(Slice *s, const Cell *c, int q)
{
    static const int corner_edge_a[4] = {0, 0, 1, 2};
    static const int corner_edge_b[4] = {3, 1, 2, 3};
    double sign = c->in[q] ? 1.0 : -1.0;
    segment(s, c, corner_edge_a[q], corner_edge_b[q], sign * corner_dx[q],
            sign * corner_dy[q]);
}

static void cell_segments(Slice *s, size_t x, size_t y)
{
    Cell c;
    cell_make(s, x, y, &c);
    int inside = (c.in[0] ? 1 : 0) + (c.in[1] ? 2 : 0) + (c.in[2] ? 4 : 0) +
                 (c.in[3] ? 8 : 0);
    if (inside == 0 || inside == 15) {
        return;
    }
    if (inside == 5 || inside == 10) {
        bool all_bound = true;
        double mean = 0.0;
        for (int q = 0; q < 4; q++) {
            all_bound = all_bound && s->bound[c.corner[q]] != 0;
            mean += s->f[c.corner[q]] / 4.0;
        }
        bool centre_in = all_bound && mean >= 0.0;
        /* Centre inside: cut the outside corners, else the inside ones. */
        int first = (inside == 5) == centre_in ? 1 : 0;
        cut_corner(s, &c, first);
        cut_corner(s, &c, first + 2);
        return;
    }
    int crossing_edges[2];
    int n = 0;
    for (int e = 0; e < 4 && n < 2; e++) {
        if (c.in[edge_from[e]] != c.in[edge_to[e]]) {
            crossing_edges[n++] = e;
        }
    }
    double gx = 0.0;
    double gy = 0.0;
    for (int q = 0; q < 4; q++) {
        gx += c.in[q] ? corner_dx[q] : 0.0;
        gy += c.in[q] ? corner_dy[q] : 0.0;
    }
    segment(s, &c, crossing_edges[0], crossing_edges[1], gx, gy);
}

/* ---- polygons */

static bool add_point(RertError *err, RertPetContour *c, RertVec3 p)
{
    if (c->point_count == c->point_cap) {
        size_t cap = c->point_cap > 0 ? 2 * c->point_cap : 256;
        RertVec3 *grown =
            rert_realloc_array(err, c->points, cap, sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        c->points = grown;
        c->point_cap = cap;
    }
    c->points[c->point_count++] = p;
    return true;
}

static bool add_polygon(RertError *err, RertPetContour *c, size_t start)
{
    size_t n = c->point_count - start;
    if (n < 3) {
        c->point_count = start; /* degenerate: dropped */
        return true;
    }
    if (c->polygon_count == c->polygon_cap) {
        size_t cap = c->polygon_cap > 0 ? 2 * c->polygon_cap : 16;
        size_t *s = rert_realloc_array(err, c->starts, cap, sizeof *s);
        if (s == NULL) {
            return false;
        }
        c->starts = s;
        size_t *k = rert_realloc_array(err, c->counts, cap, sizeof *k);
        if (k == NULL) {
            return false;
        }
        c->counts = k;
        c->polygon_cap = cap;
    }
    c->starts[c->polygon_count] = start;
    c->counts[c->polygon_count++] = n;
    return true;
}

/* Follow every chain of @p s into polygons on slice @p k. */
static bool trace(RertError *err,
                  Slice *s,
                  const RertGridGeometry *g,
                  size_t k,
                  RertPetContour *c)
{
    size_t edges = 2 * s->w * s->h;
    for (size_t e0 = 0; e0 < edges; e0++) {
        if (s->next[e0] == SIZE_MAX) {
            continue;
        }
        size_t start = c->point_count;
        double li = HUGE_VAL;
        double lj = HUGE_VAL;
        size_t e = e0;
        while (e != SIZE_MAX) {
            size_t to = s->next[e];
            s->next[e] = SIZE_MAX;
            if (fabs(s->pi[e] - li) > SAME_POINT_EPS ||
                fabs(s->pj[e] - lj) > SAME_POINT_EPS) {
                RertVec3 ijk = {s->pi[e], s->pj[e], (double)k};
                if (!add_point(err, c, rert_grid_ijk_to_xyz(g, ijk))) {
                    return false;
                }
                li = s->pi[e];
                lj = s->pj[e];
            }
            e = to == e0 ? SIZE_MAX : to;
        }
        if (!add_polygon(err, c, start)) {
            return false;
        }
    }
    return true;
}

static bool contour_slices(RertError *err,
                           const RertGridGeometry *g,
                           const float *v,
                           const float *occ,
                           double inside,
                           RertPetContour *c)
{
    Slice s;
    if (!slice_init(err, g, &s)) {
        return false;
    }
    bool ok = true;
    for (size_t k = 0; ok && k < g->dims[2]; k++) {
        if (!slice_field(&s, g, v, occ, k, c->threshold, inside, c)) {
            continue;
        }
        for (size_t y = 0; y + 1 < s.h; y++) {
            for (size_t x = 0; x + 1 < s.w; x++) {
                cell_segments(&s, x, y);
            }
        }
        ok = trace(err, &s, g, k, c);
    }
    slice_clear(&s);
    return ok;
}

static bool finish_polygons(RertError *err, RertPetContour *c)
{
    if (c->polygon_count == 0) {
        return true;
    }
    c->polygons = rert_calloc(err, c->polygon_count, sizeof *c->polygons);
    if (c->polygons == NULL) {
        return false;
    }
    for (size_t p = 0; p < c->polygon_count; p++) {
        c->polygons[p].points_mm = c->points + c->starts[p];
        c->polygons[p].count = c->counts[p];
    }
    return true;
}

static bool check_options(RertError *err, const RertPetContourOptions *o)
{
    bool fraction_ok = o->fraction_of_max > 0.0 && o->fraction_of_max <= 1.0;
    bool absolute_ok = o->fraction_of_max == 0.0 &&
                       isfinite(o->suv_threshold) && o->suv_threshold > 0.0;
    if (!(fraction_ok || absolute_ok) ||
        !(o->inside_fraction > 0.0 && o->inside_fraction <= 1.0)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "PET contour: fraction of max %g (expected (0, "
                              "1], or 0 with an SUV > 0, found %g), inside "
                              "fraction %g (expected (0, 1])",
                              o->fraction_of_max, o->suv_threshold,
                              o->inside_fraction);
    }
    return true;
}

/* SUVmax over the voxels inside the bound; false when there are none. */
static bool bound_max(const RertGridGeometry *g,
                      const float *v,
                      const float *occ,
                      double inside,
                      double *out)
{
    bool any = false;
    size_t n = rert_grid_voxel_count(g);
    for (size_t i = 0; i < n; i++) {
        if ((double)occ[i] >= inside && (!any || (double)v[i] > *out)) {
            *out = (double)v[i];
            any = true;
        }
    }
    return any;
}

RertPetContour *rert_pet_contour_compute(RertError *err,
                                         const RertVolume *suv,
                                         const RertPolygon *bound,
                                         size_t bound_count,
                                         const RertPetContourOptions *options)
{
    RertPetContourOptions o =
        options != NULL ? *options : rert_pet_contour_options_default();
    if (suv == NULL || (bound_count > 0 && bound == NULL)) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "PET contour: NULL volume or polygons");
        return NULL;
    }
    if (!check_options(err, &o)) {
        return NULL;
    }
    const RertGridGeometry *g = rert_volume_geometry(suv);
    const float *v = rert_volume_data_const(suv);
    RertPetContour *c = rert_calloc(err, 1, sizeof *c);
    float *occ =
        c != NULL ? pet_occupancy(err, g, bound, bound_count, &o.raster) : NULL;
    bool ok = occ != NULL;
    if (ok && (!bound_max(g, v, occ, o.inside_fraction, &c->bound_max) ||
               !(c->bound_max > 0.0))) {
        ok = rert_error_set(err, RERT_ERR_UNSUPPORTED,
                            "PET contour: the bounding structure holds no "
                            "voxel (occupancy >= %g) or its SUVmax is not > 0",
                            o.inside_fraction);
    }
    if (ok) {
        c->threshold = o.fraction_of_max > 0.0
                           ? o.fraction_of_max * c->bound_max
                           : o.suv_threshold;
        ok = contour_slices(err, g, v, occ, o.inside_fraction, c) &&
             finish_polygons(err, c);
    }
    rert_free(occ);
    if (!ok) {
        rert_pet_contour_destroy(c);
        return NULL;
    }
    return c;
}

/* Contours through a transform: iso-contours of an occupancy by marching
 * squares on every grid slice, and propagation of a moving-course ROI onto
 * the reference anatomy (rasterise on the moving grid, pull the occupancy
 * through the reference -> moving transform, re-contour). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/registration.h>

#include "internal.h"

#define NO_EDGE SIZE_MAX

struct RertPlanarContours {
    RertVec3 *points;
    size_t point_count;
    RertPolygon *polygons;
    size_t polygon_count;
};

size_t rert_planar_contours_count(const RertPlanarContours *c)
{
    return c != NULL ? c->polygon_count : 0;
}

const RertPolygon *rert_planar_contours_polygons(const RertPlanarContours *c,
                                                 size_t *count)
{
    if (count != NULL) {
        *count = c != NULL ? c->polygon_count : 0;
    }
    return c != NULL ? c->polygons : NULL;
}

void rert_planar_contours_destroy(RertPlanarContours *c)
{
    if (c == NULL) {
        return;
    }
    rert_free(c->points);
    rert_free(c->polygons);
    rert_free(c);
}

/* ---- growing output: points and polygon start offsets */

typedef struct Builder {
    RertVec3 *points;
    size_t count;
    size_t capacity;
    size_t max_points;
    size_t *starts; /* polygon start offsets */
    size_t polygons;
    size_t starts_capacity;
} Builder;

static bool builder_point(RertError *err, Builder *b, RertVec3 p)
{
    if (b->count > b->starts[b->polygons]) {
        RertVec3 q = b->points[b->count - 1];
        if (q.x == p.x && q.y == p.y && q.z == p.z) {
            return true; /* a corner exactly at the level: same point */
        }
    }
    if (b->count >= b->max_points) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "contours: more than %zu points (max_points)",
                              b->max_points);
    }
    if (b->count == b->capacity) {
        size_t capacity = b->capacity < 1024 ? 1024 : 2 * b->capacity;
        RertVec3 *grown =
            rert_realloc_array(err, b->points, capacity, sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        b->points = grown;
        b->capacity = capacity;
    }
    b->points[b->count++] = p;
    return true;
}

/* Close the current polygon: keep it with 3 or more distinct points. */
static bool builder_close(RertError *err, Builder *b)
{
    size_t start = b->starts[b->polygons];
    if (b->count > start + 1) {
        RertVec3 f = b->points[start];
        RertVec3 l = b->points[b->count - 1];
        if (f.x == l.x && f.y == l.y && f.z == l.z) {
            b->count--;
        }
    }
    if (b->count < start + 3) {
        b->count = start;
        return true;
    }
    if (b->polygons + 2 > b->starts_capacity) {
        size_t capacity = 2 * b->starts_capacity;
        size_t *grown =
            rert_realloc_array(err, b->starts, capacity, sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        b->starts = grown;
        b->starts_capacity = capacity;
    }
    b->polygons++;
    b->starts[b->polygons] = b->count;
    return true;
}

static RertPlanarContours *builder_finish(RertError *err, Builder *b)
{
    RertPlanarContours *c = rert_calloc(err, 1, sizeof *c);
    RertPolygon *polygons =
        rert_calloc(err, b->polygons > 0 ? b->polygons : 1, sizeof *polygons);
    if (c == NULL || polygons == NULL) {
        rert_free(c);
        rert_free(polygons);
        return NULL;
    }
    for (size_t i = 0; i < b->polygons; i++) {
        polygons[i].points_mm = b->points + b->starts[i];
        polygons[i].count = b->starts[i + 1] - b->starts[i];
    }
    c->points = b->points;
    c->point_count = b->count;
    c->polygons = polygons;
    c->polygon_count = b->polygons;
    b->points = NULL;
    return c;
}

/* ---- marching squares on one slice */

typedef struct Slice {
    const RertGridGeometry *grid;
    const float *occupancy;
    double level;
    size_t k;
    size_t w;     /* padded width, dims[0] + 2 */
    size_t h;     /* padded height, dims[1] + 2 */
    size_t *next; /* 2 * w * h: next edge of the contour through an edge */
} Slice;

/* Padded value: outside the grid is 0. */
static double padded(const Slice *s, size_t pi, size_t pj)
{
    if (pi == 0 || pj == 0 || pi > s->grid->dims[0] || pj > s->grid->dims[1]) {
        return 0.0;
    }
    return (double)s->occupancy[rert_grid_index(s->grid, pi - 1, pj - 1, s->k)];
}

/* Edge ids: horizontal (i,j)-(i+1,j) 2(jw+i), vertical (i,j)-(i,j+1)
 * 2(jw+i)+1. The four edges of cell (ci,cj), counter-clockwise (i right,
 * j up): bottom, right, top, left. */
static void cell_edges(const Slice *s, size_t ci, size_t cj, size_t id[4])
{
    id[0] = 2 * (cj * s->w + ci);
    id[1] = 2 * (cj * s->w + ci + 1) + 1;
    id[2] = 2 * ((cj + 1) * s->w + ci);
    id[3] = 2 * (cj * s->w + ci) + 1;
}

/* Link the crossings of one cell: a segment starts where the CCW walk
 * goes inside -> outside and ends where it goes outside -> inside, so
 * the inside is on its left; saddles by the cell mean. */
static void link_cell(const Slice *s, size_t ci, size_t cj)
{
    const double v[4] = {padded(s, ci, cj), padded(s, ci + 1, cj),
                         padded(s, ci + 1, cj + 1), padded(s, ci, cj + 1)};
    bool in[4];
    int inside_count = 0;
    for (int c = 0; c < 4; c++) {
        in[c] = v[c] >= s->level;
        inside_count += in[c] ? 1 : 0;
    }
    if (inside_count == 0 || inside_count == 4) {
        return;
    }
    size_t id[4];
    cell_edges(s, ci, cj, id);
    bool centre_in = 0.25 * (v[0] + v[1] + v[2] + v[3]) >= s->level;
    for (int e = 0; e < 4; e++) {
        if (!(in[e] && !in[(e + 1) % 4])) {
            continue; /* not a start edge */
        }
        for (int step = 1; step < 4; step++) {
            int f = centre_in ? (e + step) % 4 : (e + 4 - step) % 4;
            if (!in[f] && in[(f + 1) % 4]) {
                s->next[id[e]] = id[f];
                break;
            }
        }
    }
}

/* Crossing point of edge @p id, patient mm. */
static RertVec3 edge_point(const Slice *s, size_t id)
{
    size_t cell = id / 2;
    size_t pi = cell % s->w;
    size_t pj = cell / s->w;
    bool vertical = (id & 1u) != 0;
    double a = padded(s, pi, pj);
    double b = vertical ? padded(s, pi, pj + 1) : padded(s, pi + 1, pj);
    double t = (s->level - a) / (b - a);
    t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
    RertVec3 ijk = {(double)pi - 1.0 + (vertical ? 0.0 : t),
                    (double)pj - 1.0 + (vertical ? t : 0.0), (double)s->k};
    return rert_grid_ijk_to_xyz(s->grid, ijk);
}

static bool trace_slice(RertError *err, Slice *s, Builder *b)
{
    size_t edges = 2 * s->w * s->h;
    for (size_t i = 0; i < edges; i++) {
        s->next[i] = NO_EDGE;
    }
    for (size_t cj = 0; cj + 1 < s->h; cj++) {
        for (size_t ci = 0; ci + 1 < s->w; ci++) {
            link_cell(s, ci, cj);
        }
    }
    for (size_t start = 0; start < edges; start++) {
        size_t id = start;
        size_t steps = 0;
        while (s->next[id] != NO_EDGE) {
            size_t following = s->next[id];
            s->next[id] = NO_EDGE;
            if (!builder_point(err, b, edge_point(s, id))) {
                return false;
            }
            id = following;
            if (++steps > edges) {
                return rert_error_set(err, RERT_ERR_INTERNAL,
                                      "contours: slice %zu: contour does "
                                      "not close",
                                      s->k);
            }
        }
        if (steps > 0 && !builder_close(err, b)) {
            return false;
        }
    }
    return true;
}

RertPlanarContours *rert_contours_from_occupancy(RertError *err,
                                                 const RertGridGeometry *grid,
                                                 const float *occupancy,
                                                 double level,
                                                 size_t max_points)
{
    if (grid == NULL || occupancy == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "contours: NULL argument");
        return NULL;
    }
    if (!(level > 0.0 && level <= 1.0)) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "contours: level %g, expected in (0, 1]", level);
        return NULL;
    }
    Slice s = {grid, occupancy, level, 0, grid->dims[0] + 2, grid->dims[1] + 2,
               NULL};
    size_t edges = 0;
    if (!rert_mul_size(err, s.w, s.h, &edges) ||
        !rert_mul_size(err, edges, 2, &edges)) {
        return NULL;
    }
    Builder b;
    memset(&b, 0, sizeof b);
    b.max_points =
        max_points > 0 ? max_points : RERT_CONTOURS_DEFAULT_MAX_POINTS;
    b.starts_capacity = 64;
    b.starts = rert_calloc(err, b.starts_capacity, sizeof *b.starts);
    s.next = rert_calloc(err, edges, sizeof *s.next);
    RertPlanarContours *out = NULL;
    bool ok = b.starts != NULL && s.next != NULL;
    for (size_t k = 0; ok && k < grid->dims[2]; k++) {
        s.k = k;
        ok = trace_slice(err, &s, &b);
    }
    if (ok) {
        out = builder_finish(err, &b);
    }
    rert_free(s.next);
    rert_free(b.starts);
    rert_free(b.points);
    return out;
}

/* ---- propagation */

RertPropagateOptions rert_propagate_options_default(void)
{
    RertPropagateOptions o;
    memset(&o, 0, sizeof o);
    o.raster = rert_raster_options_default();
    o.level = 0.5;
    o.max_points = RERT_CONTOURS_DEFAULT_MAX_POINTS;
    return o;
}

RertPlanarContours *
rert_contours_propagate(RertError *err,
                        const RertGridGeometry *moving_grid,
                        const RertPolygon *polygons,
                        size_t count,
                        const RertGridGeometry *fixed_grid,
                        const RertTransform *fixed_to_moving,
                        const RertPropagateOptions *options,
                        float *fixed_occupancy)
{
    if (moving_grid == NULL || fixed_grid == NULL ||
        (polygons == NULL && count > 0)) {
        rert_error_set(err, RERT_ERR_INVALID_ARG,
                       "contour propagation: NULL grid or polygons");
        return NULL;
    }
    RertPropagateOptions o =
        options != NULL ? *options : rert_propagate_options_default();
    RertVolume *moving = rert_volume_create(err, moving_grid);
    RertVolume *fixed = NULL;
    RertPlanarContours *out = NULL;
    if (moving == NULL) {
        goto out;
    }
    if (!rert_rasterize_polygons(err, moving_grid, polygons, count, &o.raster,
                                 rert_volume_data(moving))) {
        rert_error_prefix(err, "contour propagation: moving ROI");
        goto out;
    }
    fixed = rert_volume_resample(err, moving, fixed_grid, fixed_to_moving, 0.0f,
                                 NULL);
    if (fixed == NULL) {
        rert_error_prefix(err, "contour propagation: resampling");
        goto out;
    }
    out = rert_contours_from_occupancy(
        err, fixed_grid, rert_volume_data_const(fixed), o.level, o.max_points);
    if (out != NULL && fixed_occupancy != NULL) {
        memcpy(fixed_occupancy, rert_volume_data_const(fixed),
               rert_grid_voxel_count(fixed_grid) * sizeof(float));
    }
out:
    rert_volume_destroy(fixed);
    rert_volume_destroy(moving);
    return out;
}

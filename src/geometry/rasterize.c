/* Planar contours -> voxel occupancy fractions. Each plane of polygons
 * stands for a slab along the grid's slice direction; in-plane coverage is
 * estimated with subsamples x subsamples points per voxel, filled by an
 * even-odd scanline over an active edge list. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

/* Polygon points may spread this much along the slice normal. */
#define PLANAR_TOL_MM 0.01
/* Polygons whose planes lie closer than this belong to one plane. */
#define PLANE_GROUP_TOL_MM 0.05
#define DEFAULT_SUBSAMPLES 4u
#define MAX_SUBSAMPLES 64u
#define PI 3.14159265358979323846
#define HUGE_MM ((double)INFINITY)

/* An edge in in-plane index coordinates (x = i, y = j), ya < yb. It
 * crosses the row y when ya <= y < yb, at xa + (y - ya) * slope. */
typedef struct Edge {
    double ya;
    double yb;
    double xa;
    double slope;
} Edge;

typedef struct PolyInfo {
    double z;     /* mean k index of the points */
    size_t index; /* into the caller's array */
} PolyInfo;

typedef struct Plane {
    double lo, hi;               /* slab along k, index units */
    size_t edge_begin, edge_end; /* into the edge array, sorted by ya */
    size_t i0, i1, j0, j1;       /* voxel bounding box, inclusive */
    bool is_empty;               /* bounding box misses the grid */
} Plane;

/* Everything the per-slice kernel reads; built serially beforehand. */
typedef struct Raster {
    const RertGridGeometry *grid;
    unsigned subsamples;
    Plane *planes;
    size_t plane_count;
    Edge *edges;
    size_t max_plane_edges;
    size_t max_box_voxels;
    /* per-thread scratch, thread t uses [t * size, (t + 1) * size) */
    uint32_t *counts;
    double *crossings;
    size_t *active;
} Raster;

RertRasterOptions rert_raster_options_default(void)
{
    RertRasterOptions o = {.subsamples = DEFAULT_SUBSAMPLES,
                           .half_end_caps = true};
    return o;
}

static RertVec3 point_ijk(const RertGridGeometry *g, RertVec3 p)
{
    return rert_grid_xyz_to_ijk(g, p);
}

/* Explain a planarity failure: tilted plane or points off any plane. */
static bool planarity_error(RertError *err,
                            const RertGridGeometry *g,
                            const RertPolygon *poly,
                            size_t index,
                            double spread_mm)
{
    const RertVec3 *p = poly->points_mm;
    RertVec3 n = {0.0, 0.0, 0.0};
    RertVec3 c = {0.0, 0.0, 0.0};
    for (size_t m = 0; m < poly->count; m++) {
        RertVec3 a = p[m];
        RertVec3 b = p[(m + 1) % poly->count];
        n.x += (a.y - b.y) * (a.z + b.z);
        n.y += (a.z - b.z) * (a.x + b.x);
        n.z += (a.x - b.x) * (a.y + b.y);
        c.x += a.x / (double)poly->count;
        c.y += a.y / (double)poly->count;
        c.z += a.z / (double)poly->count;
    }
    double norm = sqrt(n.x * n.x + n.y * n.y + n.z * n.z);
    double off = 0.0;
    for (size_t m = 0; norm > 0.0 && m < poly->count; m++) {
        double d = ((p[m].x - c.x) * n.x + (p[m].y - c.y) * n.y +
                    (p[m].z - c.z) * n.z) /
                   norm;
        off = fmax(off, fabs(d));
    }
    if (norm > 0.0 && off <= PLANAR_TOL_MM) {
        const double *kd = g->direction + 6;
        double cosine = fabs(n.x * kd[0] + n.y * kd[1] + n.z * kd[2]) / norm;
        double degrees = acos(fmin(1.0, cosine)) * 180.0 / PI;
        return rert_error_set(
            err, RERT_ERR_GEOMETRY,
            "polygon %zu lies in a plane tilted %.3g degrees to the grid "
            "slices (spread %.4g mm along the slice direction), expected a "
            "plane perpendicular to the slice direction within %g mm",
            index, degrees, spread_mm, PLANAR_TOL_MM);
    }
    return rert_error_set(err, RERT_ERR_GEOMETRY,
                          "polygon %zu is not planar: its points spread "
                          "%.4g mm along the grid slice direction, expected "
                          "at most %g mm",
                          index, spread_mm, PLANAR_TOL_MM);
}

/* Check one polygon and find its plane (mean k index). */
static bool polygon_plane(RertError *err,
                          const RertGridGeometry *g,
                          const RertPolygon *poly,
                          size_t index,
                          double *z)
{
    if (poly->count > 0 && poly->points_mm == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "polygon %zu has %zu points but NULL data", index,
                              poly->count);
    }
    double kmin = HUGE_MM;
    double kmax = -HUGE_MM;
    double sum = 0.0;
    for (size_t m = 0; m < poly->count; m++) {
        RertVec3 p = poly->points_mm[m];
        if (!isfinite(p.x) || !isfinite(p.y) || !isfinite(p.z)) {
            return rert_error_set(err, RERT_ERR_GEOMETRY,
                                  "polygon %zu point %zu is (%g, %g, %g), "
                                  "expected finite coordinates in mm",
                                  index, m, p.x, p.y, p.z);
        }
        double k = point_ijk(g, p).z;
        kmin = fmin(kmin, k);
        kmax = fmax(kmax, k);
        sum += k;
    }
    double spread_mm = (kmax - kmin) * g->spacing_mm[2];
    if (poly->count > 0 && spread_mm > PLANAR_TOL_MM) {
        return planarity_error(err, g, poly, index, spread_mm);
    }
    *z = poly->count > 0 ? sum / (double)poly->count : 0.0;
    return true;
}

static int compare_poly(const void *a, const void *b)
{
    const PolyInfo *pa = a;
    const PolyInfo *pb = b;
    if (pa->z != pb->z) {
        return pa->z < pb->z ? -1 : 1;
    }
    return (pa->index > pb->index) - (pa->index < pb->index);
}

static int compare_edge(const void *a, const void *b)
{
    const Edge *ea = a;
    const Edge *eb = b;
    if (ea->ya != eb->ya) {
        return ea->ya < eb->ya ? -1 : 1;
    }
    if (ea->xa != eb->xa) {
        return ea->xa < eb->xa ? -1 : 1;
    }
    if (ea->yb != eb->yb) {
        return ea->yb < eb->yb ? -1 : 1;
    }
    return (ea->slope > eb->slope) - (ea->slope < eb->slope);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Polygons with at least 3 points, their plane, sorted by plane then index.
 * Sets *used and *edge_total (sum of their point counts). */
static PolyInfo *sorted_polygons(RertError *err,
                                 const RertGridGeometry *g,
                                 const RertPolygon *polygons,
                                 size_t count,
                                 size_t *used,
                                 size_t *edge_total)
{
    PolyInfo *info = rert_calloc(err, count, sizeof *info);
    if (info == NULL) {
        return NULL;
    }
    size_t n = 0;
    size_t edges = 0;
    for (size_t p = 0; p < count; p++) {
        double z = 0.0;
        if (!polygon_plane(err, g, &polygons[p], p, &z) ||
            !rert_add_size(err, edges, polygons[p].count, &edges)) {
            rert_free(info);
            return NULL;
        }
        if (polygons[p].count >= 3) {
            info[n].z = z;
            info[n].index = p;
            n++;
        }
    }
    qsort(info, n, sizeof *info, compare_poly);
    *used = n;
    *edge_total = edges;
    return info;
}

/* Split sorted polygons into planes: starts[q] is the first polygon of
 * plane q, starts[count] = n. Returns the plane count. */
static size_t
group_planes(const PolyInfo *info, size_t n, double tol_k, size_t *starts)
{
    size_t planes = 0;
    for (size_t p = 0; p < n; p++) {
        if (p == 0 || info[p].z - info[starts[planes - 1]].z > tol_k) {
            starts[planes++] = p;
        }
    }
    starts[planes] = n;
    return planes;
}

static void voxel_range(
    double lo, double hi, size_t n, size_t *i0, size_t *i1, bool *is_empty)
{
    double a = fmax(0.0, floor(lo + 0.5));
    double b = fmin((double)(n - 1), floor(hi + 0.5));
    if (!(a <= b)) {
        *is_empty = true;
        *i0 = 0;
        *i1 = 0;
        return;
    }
    *i0 = (size_t)a;
    *i1 = (size_t)b;
}

/* Append the edges of one polygon (in-plane index coordinates) and grow
 * the bounding box. */
static void add_polygon_edges(Raster *r,
                              const RertPolygon *poly,
                              size_t *edge_count,
                              double box[4])
{
    size_t n = poly->count;
    for (size_t m = 0; m < n; m++) {
        RertVec3 a = point_ijk(r->grid, poly->points_mm[m]);
        RertVec3 b = point_ijk(r->grid, poly->points_mm[(m + 1) % n]);
        box[0] = fmin(box[0], a.x);
        box[1] = fmax(box[1], a.x);
        box[2] = fmin(box[2], a.y);
        box[3] = fmax(box[3], a.y);
        if (a.y == b.y) {
            continue; /* horizontal: never crosses a sample row */
        }
        if (a.y > b.y) {
            RertVec3 tmp = a;
            a = b;
            b = tmp;
        }
        Edge *e = &r->edges[(*edge_count)++];
        e->ya = a.y;
        e->yb = b.y;
        e->xa = a.x;
        e->slope = (b.x - a.x) / (b.y - a.y);
    }
}

/* Edges, bounding box and scratch sizes of plane q. */
static void build_plane(Raster *r,
                        const RertPolygon *polygons,
                        const PolyInfo *info,
                        size_t first,
                        size_t end,
                        size_t *edge_count,
                        Plane *pl)
{
    double box[4] = {HUGE_MM, -HUGE_MM, HUGE_MM, -HUGE_MM};
    pl->edge_begin = *edge_count;
    for (size_t p = first; p < end; p++) {
        add_polygon_edges(r, &polygons[info[p].index], edge_count, box);
    }
    pl->edge_end = *edge_count;
    qsort(r->edges + pl->edge_begin, pl->edge_end - pl->edge_begin,
          sizeof(Edge), compare_edge);
    pl->is_empty = false;
    voxel_range(box[0], box[1], r->grid->dims[0], &pl->i0, &pl->i1,
                &pl->is_empty);
    voxel_range(box[2], box[3], r->grid->dims[1], &pl->j0, &pl->j1,
                &pl->is_empty);
    size_t edges = pl->edge_end - pl->edge_begin;
    r->max_plane_edges =
        edges > r->max_plane_edges ? edges : r->max_plane_edges;
    if (!pl->is_empty) {
        size_t box_voxels = (pl->i1 - pl->i0 + 1) * (pl->j1 - pl->j0 + 1);
        r->max_box_voxels =
            box_voxels > r->max_box_voxels ? box_voxels : r->max_box_voxels;
    }
}

/* Slab of each plane along k (index units): half-way to the neighbours;
 * the ends extend half the neighbouring spacing when half_end_caps; a lone
 * plane is one grid slice thick. */
static void
set_slabs(Plane *planes, const double *z, size_t n, bool half_end_caps)
{
    if (n == 1) {
        planes[0].lo = z[0] - 0.5;
        planes[0].hi = z[0] + 0.5;
        return;
    }
    for (size_t q = 0; q < n; q++) {
        double below = q > 0 ? z[q] - z[q - 1] : z[1] - z[0];
        double above = q + 1 < n ? z[q + 1] - z[q] : z[q] - z[q - 1];
        bool is_cap_below = q == 0;
        bool is_cap_above = q + 1 == n;
        planes[q].lo =
            is_cap_below && !half_end_caps ? z[q] : z[q] - 0.5 * below;
        planes[q].hi =
            is_cap_above && !half_end_caps ? z[q] : z[q] + 0.5 * above;
    }
}

/* Planes, slabs and edges from the polygons. */
static bool build_planes(RertError *err,
                         Raster *r,
                         const RertPolygon *polygons,
                         size_t count,
                         bool half_end_caps)
{
    size_t used = 0;
    size_t edge_total = 0;
    size_t *starts = NULL;
    double *z = NULL;
    bool ok = false;
    PolyInfo *info =
        sorted_polygons(err, r->grid, polygons, count, &used, &edge_total);
    if (info == NULL) {
        return false;
    }
    if (used == 0) {
        rert_free(info);
        return true;
    }
    starts = rert_calloc(err, used + 1, sizeof *starts);
    r->edges = rert_calloc(err, edge_total, sizeof *r->edges);
    if (starts == NULL || r->edges == NULL) {
        goto out;
    }
    r->plane_count = group_planes(
        info, used, PLANE_GROUP_TOL_MM / r->grid->spacing_mm[2], starts);
    r->planes = rert_calloc(err, r->plane_count, sizeof *r->planes);
    z = rert_calloc(err, r->plane_count, sizeof *z);
    if (r->planes == NULL || z == NULL) {
        goto out;
    }
    size_t edge_count = 0;
    for (size_t q = 0; q < r->plane_count; q++) {
        for (size_t p = starts[q]; p < starts[q + 1]; p++) {
            z[q] += info[p].z / (double)(starts[q + 1] - starts[q]);
        }
        build_plane(r, polygons, info, starts[q], starts[q + 1], &edge_count,
                    &r->planes[q]);
    }
    set_slabs(r->planes, z, r->plane_count, half_end_caps);
    ok = true;
out:
    rert_free(z);
    rert_free(starts);
    rert_free(info);
    return ok;
}

static bool alloc_scratch(RertError *err, Raster *r, size_t threads)
{
    size_t n_counts = 0;
    size_t n_edges = 0;
    if (!rert_mul_size(err, r->max_box_voxels, threads, &n_counts) ||
        !rert_mul_size(err, r->max_plane_edges, threads, &n_edges)) {
        return false;
    }
    r->counts = rert_calloc(err, n_counts, sizeof *r->counts);
    r->crossings = rert_calloc(err, n_edges, sizeof *r->crossings);
    r->active = rert_calloc(err, n_edges, sizeof *r->active);
    return r->counts != NULL && r->crossings != NULL && r->active != NULL;
}

static void raster_free(Raster *r)
{
    rert_free(r->active);
    rert_free(r->crossings);
    rert_free(r->counts);
    rert_free(r->edges);
    rert_free(r->planes);
}

/* Add the samples g0 <= g < g1 (relative to the box) to their voxels. */
static void add_samples(uint32_t *row, size_t g0, size_t g1, unsigned s)
{
    size_t v0 = g0 / s;
    size_t v1 = (g1 - 1) / s;
    if (v0 == v1) {
        row[v0] += (uint32_t)(g1 - g0);
        return;
    }
    row[v0] += (uint32_t)(s - g0 % s);
    for (size_t v = v0 + 1; v < v1; v++) {
        row[v] += s;
    }
    row[v1] += (uint32_t)((g1 - 1) % s + 1);
}

/* Even-odd spans between sorted crossings. Sample g of the row sits at
 * x = (g + 0.5) / s - 0.5 and is inside when xs[2m] <= x < xs[2m+1]. */
static void fill_spans(
    const double *xs, size_t n, uint32_t *row, const Plane *pl, unsigned s)
{
    double ds = (double)s;
    double gmin = (double)pl->i0 * ds;
    double gend = (double)(pl->i1 + 1) * ds;
    for (size_t m = 0; m + 1 < n; m += 2) {
        double a = fmax(gmin, ceil((xs[m] + 0.5) * ds - 0.5));
        double b = fmin(gend, ceil((xs[m + 1] + 0.5) * ds - 0.5));
        if (a < b) {
            add_samples(row, (size_t)(a - gmin), (size_t)(b - gmin), s);
        }
    }
}

static void sort_crossings(double *xs, size_t n)
{
    if (n > 16) {
        qsort(xs, n, sizeof *xs, compare_double);
        return;
    }
    for (size_t a = 1; a < n; a++) {
        double x = xs[a];
        size_t b = a;
        for (; b > 0 && xs[b - 1] > x; b--) {
            xs[b] = xs[b - 1];
        }
        xs[b] = x;
    }
}

/* Sample counts of plane @p pl over its bounding box, row by row of
 * samples, keeping the edges that span the current row in @p active. */
static void fill_plane(const Raster *r,
                       const Plane *pl,
                       uint32_t *counts,
                       double *xs,
                       size_t *active)
{
    unsigned s = r->subsamples;
    size_t width = pl->i1 - pl->i0 + 1;
    memset(counts, 0, width * (pl->j1 - pl->j0 + 1) * sizeof *counts);
    size_t next = pl->edge_begin;
    size_t n_active = 0;
    for (size_t j = pl->j0; j <= pl->j1; j++) {
        uint32_t *row = counts + (j - pl->j0) * width;
        for (unsigned t = 0; t < s; t++) {
            double y = (double)j - 0.5 + ((double)t + 0.5) / (double)s;
            while (next < pl->edge_end && r->edges[next].ya <= y) {
                active[n_active++] = next++;
            }
            size_t kept = 0;
            size_t n_xs = 0;
            for (size_t a = 0; a < n_active; a++) {
                const Edge *e = &r->edges[active[a]];
                if (e->yb <= y) {
                    continue;
                }
                active[kept++] = active[a];
                xs[n_xs++] = e->xa + (y - e->ya) * e->slope;
            }
            n_active = kept;
            sort_crossings(xs, n_xs);
            fill_spans(xs, n_xs, row, pl, s);
        }
    }
}

/* Add w * coverage of plane @p pl to slice @p slice. */
static void add_plane(const Raster *r,
                      const Plane *pl,
                      double w,
                      const uint32_t *counts,
                      float *slice)
{
    double scale = w / ((double)r->subsamples * (double)r->subsamples);
    size_t nx = r->grid->dims[0];
    size_t width = pl->i1 - pl->i0 + 1;
    for (size_t j = pl->j0; j <= pl->j1; j++) {
        const uint32_t *row = counts + (j - pl->j0) * width;
        float *out = slice + j * nx + pl->i0;
        for (size_t i = 0; i < width; i++) {
            if (row[i] != 0) {
                out[i] = (float)((double)out[i] + scale * (double)row[i]);
            }
        }
    }
}

/* Slice k: sum over the planes whose slab overlaps [k - 0.5, k + 0.5]. */
static void
raster_slice(const Raster *r, size_t k, float *fraction, size_t thread)
{
    size_t nxy = r->grid->dims[0] * r->grid->dims[1];
    float *slice = fraction + k * nxy;
    uint32_t *counts = r->counts + thread * r->max_box_voxels;
    double *xs = r->crossings + thread * r->max_plane_edges;
    size_t *active = r->active + thread * r->max_plane_edges;
    memset(slice, 0, nxy * sizeof *slice);
    double kd = (double)k;
    for (size_t q = 0; q < r->plane_count; q++) {
        const Plane *pl = &r->planes[q];
        double w = fmin(pl->hi, kd + 0.5) - fmax(pl->lo, kd - 0.5);
        if (pl->is_empty || !(w > 0.0)) {
            continue;
        }
        fill_plane(r, pl, counts, xs, active);
        add_plane(r, pl, w, counts, slice);
    }
    for (size_t v = 0; v < nxy; v++) {
        slice[v] = slice[v] > 1.0f ? 1.0f : slice[v];
    }
}

static void raster_run(const Raster *r, float *fraction, int threads)
{
    size_t nz = r->grid->dims[2];
#ifdef RERT_HAVE_OPENMP
#pragma omp parallel for default(none) shared(r, fraction, nz)                 \
    num_threads(threads) schedule(dynamic, 1)
#else
    (void)threads;
#endif
    for (size_t k = 0; k < nz; k++) {
        size_t thread = 0;
#ifdef RERT_HAVE_OPENMP
        thread = (size_t)omp_get_thread_num();
#endif
        raster_slice(r, k, fraction, thread);
    }
}

bool rert_rasterize_polygons(RertError *err,
                             const RertGridGeometry *grid,
                             const RertPolygon *polygons,
                             size_t count,
                             const RertRasterOptions *options,
                             float *fraction)
{
    RertRasterOptions o =
        options != NULL ? *options : rert_raster_options_default();
    if (grid == NULL || fraction == NULL || (count > 0 && polygons == NULL)) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rasterize: NULL grid, fraction or polygons");
    }
    if (o.subsamples < 1 || o.subsamples > MAX_SUBSAMPLES) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "rasterize: subsamples is %u, expected 1..%u",
                              o.subsamples, MAX_SUBSAMPLES);
    }
    /* Re-validate: the struct is transparent, so it may be hand-built. */
    RertGridGeometry g;
    if (!rert_grid_geometry_make(err, grid->dims, grid->origin_mm,
                                 grid->spacing_mm, grid->direction, 0, &g)) {
        rert_error_prefix(err, "rasterize");
        return false;
    }
    Raster r = {.grid = &g, .subsamples = o.subsamples};
    int threads = rert_thread_count();
    threads = threads < 1 ? 1 : threads;
    bool ok = build_planes(err, &r, polygons, count, o.half_end_caps) &&
              alloc_scratch(err, &r, (size_t)threads);
    if (ok) {
        raster_run(&r, fraction, threads);
    }
    raster_free(&r);
    return ok;
}

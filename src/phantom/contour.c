/* Phantom contours: the zero level of a structure's signed distance on one
 * course plane, traced by marching squares and resampled to 64-128 evenly
 * spaced points per closed polygon. */
#include <math.h>
#include <string.h>

#include <rert/core.h>

#include "internal.h"

/* sqrt(x^2 + y^2): the values here are millimetres, far from overflow, so
 * the slower hypot() is not needed. */
static double norm2(double x, double y)
{
    return sqrt(x * x + y * y);
}

#define NO_LINK UINT32_MAX
#define MIN_POINTS 64
#define MAX_POINTS 128
/* Loops enclosing less than this area (mm^2) are sampling slivers. */
#define MIN_AREA_MM2 0.5

void phantom_contours_reset(PhantomContours *out)
{
    out->polygon_count = 0;
    out->point_count = 0;
}

void phantom_contours_clear(PhantomContours *out)
{
    rert_free(out->points);
    rert_free(out->counts);
    memset(out, 0, sizeof *out);
}

void phantom_contour_work_clear(PhantomContourWork *w)
{
    rert_free(w->values);
    rert_free(w->links);
    rert_free(w->loop);
    memset(w, 0, sizeof *w);
}

/* The sampling lattice of one slice. */
typedef struct Lattice {
    size_t nx;
    size_t ny;
    double x0;
    double y0;
    double step;
    double z;
} Lattice;

static bool work_reserve(RertError *err, PhantomContourWork *w, size_t nodes)
{
    if (nodes <= w->cap_nodes) {
        return true;
    }
    size_t edges;
    if (!rert_mul_size(err, nodes, 4, &edges)) {
        return false;
    }
    double *values = rert_realloc_array(err, w->values, nodes, sizeof *values);
    if (values == NULL) {
        return false;
    }
    w->values = values;
    uint32_t *links = rert_realloc_array(err, w->links, edges, sizeof *links);
    if (links == NULL) {
        return false;
    }
    w->links = links;
    w->cap_nodes = nodes;
    return true;
}

/* Sample the structure; the lattice border is forced outside so every
 * traced loop closes. */
static void sample(const PhantomModel *m,
                   unsigned c,
                   RertPhantomStructure s,
                   const Lattice *lat,
                   double *values)
{
    for (size_t j = 0; j < lat->ny; j++) {
        for (size_t i = 0; i < lat->nx; i++) {
            double v = 1.0;
            if (i > 0 && j > 0 && i + 1 < lat->nx && j + 1 < lat->ny) {
                RertVec3 x = {lat->x0 + (double)i * lat->step,
                              lat->y0 + (double)j * lat->step, lat->z};
                RertVec3 p = phantom_to_anatomy(m, c, x);
                v = phantom_sdf(c, s, p);
            }
            values[j * lat->nx + i] = v;
        }
    }
}

/* Edge ids: horizontal edge (i,j)-(i+1,j) is j*nx+i; vertical edge
 * (i,j)-(i,j+1) is nx*ny + j*nx+i. Each crossing edge links to the two
 * edges its neighbouring cells connect it with. */
static void link(uint32_t *links, uint32_t a, uint32_t b)
{
    uint32_t *la = &links[2 * (size_t)a];
    uint32_t *lb = &links[2 * (size_t)b];
    la[la[0] == NO_LINK ? 0 : 1] = b;
    lb[lb[0] == NO_LINK ? 0 : 1] = a;
}

static void cell_segments(
    const Lattice *lat, const double *v, size_t i, size_t j, uint32_t *links)
{
    size_t nx = lat->nx;
    size_t h = nx * lat->ny;
    double a = v[j * nx + i];
    double b = v[j * nx + i + 1];
    double cc = v[(j + 1) * nx + i + 1];
    double d = v[(j + 1) * nx + i];
    bool ia = a < 0.0;
    bool ib = b < 0.0;
    bool ic = cc < 0.0;
    bool id = d < 0.0;
    uint32_t bottom = (uint32_t)(j * nx + i);
    uint32_t top = (uint32_t)((j + 1) * nx + i);
    uint32_t left = (uint32_t)(h + j * nx + i);
    uint32_t right = (uint32_t)(h + j * nx + i + 1);
    uint32_t found[4];
    size_t n = 0;
    if (ia != ib) {
        found[n++] = bottom;
    }
    if (ib != ic) {
        found[n++] = right;
    }
    if (id != ic) {
        found[n++] = top;
    }
    if (ia != id) {
        found[n++] = left;
    }
    if (n == 2) {
        link(links, found[0], found[1]);
    } else if (n == 4) {
        /* Saddle: the centre's side decides which corners connect. */
        bool centre = (a + b + cc + d) / 4.0 < 0.0;
        if (centre == ia) {
            link(links, bottom, right);
            link(links, top, left);
        } else {
            link(links, bottom, left);
            link(links, right, top);
        }
    }
}

/* Crossing point of edge @p e by linear interpolation. */
static RertVec3 edge_point(const Lattice *lat, const double *v, uint32_t e)
{
    size_t h = lat->nx * lat->ny;
    bool vertical = e >= h;
    size_t node = vertical ? e - h : e;
    size_t other = vertical ? node + lat->nx : node + 1;
    double t = v[node] / (v[node] - v[other]);
    size_t column = node % lat->nx;
    size_t row = node / lat->nx;
    double x = lat->x0 + (double)column * lat->step;
    double y = lat->y0 + (double)row * lat->step;
    RertVec3 p = {x + (vertical ? 0.0 : t * lat->step),
                  y + (vertical ? t * lat->step : 0.0), lat->z};
    return p;
}

static bool
loop_push(RertError *err, PhantomContourWork *w, size_t n, RertVec3 p)
{
    if (n == w->loop_cap) {
        size_t cap = w->loop_cap == 0 ? 256 : w->loop_cap * 2;
        RertVec3 *fresh = rert_realloc_array(err, w->loop, cap, sizeof *fresh);
        if (fresh == NULL) {
            return false;
        }
        w->loop = fresh;
        w->loop_cap = cap;
    }
    w->loop[n] = p;
    return true;
}

static double loop_area(const RertVec3 *pts, size_t n, double *perimeter)
{
    double area = 0.0;
    *perimeter = 0.0;
    for (size_t k = 0; k < n; k++) {
        const RertVec3 *a = &pts[k];
        const RertVec3 *b = &pts[(k + 1) % n];
        area += a->x * b->y - b->x * a->y;
        *perimeter += norm2(b->x - a->x, b->y - a->y);
    }
    return fabs(area) / 2.0;
}

static bool out_reserve(RertError *err, PhantomContours *out, size_t points)
{
    if (out->polygon_count == out->polygon_cap) {
        size_t cap = out->polygon_cap == 0 ? 8 : out->polygon_cap * 2;
        size_t *fresh =
            rert_realloc_array(err, out->counts, cap, sizeof *fresh);
        if (fresh == NULL) {
            return false;
        }
        out->counts = fresh;
        out->polygon_cap = cap;
    }
    size_t need;
    if (!rert_add_size(err, out->point_count, points, &need)) {
        return false;
    }
    if (need > out->point_cap) {
        size_t cap = out->point_cap == 0 ? 1024 : out->point_cap;
        while (cap < need) {
            cap *= 2;
        }
        RertVec3 *fresh =
            rert_realloc_array(err, out->points, cap, sizeof *fresh);
        if (fresh == NULL) {
            return false;
        }
        out->points = fresh;
        out->point_cap = cap;
    }
    return true;
}

/* Resample the closed polyline to n points evenly spaced along it. */
static bool
emit(RertError *err, const RertVec3 *pts, size_t n_in, PhantomContours *out)
{
    double perimeter;
    if (loop_area(pts, n_in, &perimeter) < MIN_AREA_MM2) {
        return true;
    }
    long want = lround(perimeter / 1.0);
    size_t n = want < MIN_POINTS
                   ? MIN_POINTS
                   : (want > MAX_POINTS ? MAX_POINTS : (size_t)want);
    if (!out_reserve(err, out, n)) {
        return false;
    }
    RertVec3 *dst = out->points + out->point_count;
    double step = perimeter / (double)n;
    double walked = 0.0; /* arc length at the start of segment k */
    size_t k = 0;
    for (size_t q = 0; q < n; q++) {
        double target = (double)q * step;
        const RertVec3 *a = &pts[k];
        const RertVec3 *b = &pts[(k + 1) % n_in];
        double len = norm2(b->x - a->x, b->y - a->y);
        while (walked + len < target && k + 1 < n_in) {
            walked += len;
            k++;
            a = &pts[k];
            b = &pts[(k + 1) % n_in];
            len = norm2(b->x - a->x, b->y - a->y);
        }
        double t = len > 0.0 ? (target - walked) / len : 0.0;
        t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
        RertVec3 p = {a->x + t * (b->x - a->x), a->y + t * (b->y - a->y), a->z};
        dst[q] = p;
    }
    out->counts[out->polygon_count++] = n;
    out->point_count += n;
    return true;
}

/* Follow every loop of linked edges. */
static bool trace(RertError *err,
                  const Lattice *lat,
                  PhantomContourWork *w,
                  PhantomContours *out)
{
    size_t edges = 2 * lat->nx * lat->ny;
    uint32_t *links = w->links;
    for (size_t start = 0; start < edges; start++) {
        if (links[2 * start] == NO_LINK) {
            continue;
        }
        size_t n = 0;
        uint32_t prev = (uint32_t)start;
        uint32_t cur = links[2 * start];
        if (!loop_push(err, w, n++, edge_point(lat, w->values, prev))) {
            return false;
        }
        links[2 * start] = NO_LINK; /* visited */
        while (cur != (uint32_t)start && cur != NO_LINK) {
            uint32_t *l = &links[2 * (size_t)cur];
            uint32_t next = l[0] == prev ? l[1] : l[0];
            if (!loop_push(err, w, n++, edge_point(lat, w->values, cur))) {
                return false;
            }
            l[0] = NO_LINK;
            prev = cur;
            cur = next;
        }
        if (n >= 3 && !emit(err, w->loop, n, out)) {
            return false;
        }
    }
    return true;
}

/* Course-plane rectangle holding the structure: its anatomy box mapped
 * into course coordinates, clipped to the field of view. */
static bool plane_bounds(const PhantomModel *m,
                         unsigned c,
                         RertPhantomStructure s,
                         double z,
                         const double fov[4],
                         double bounds[4])
{
    PhantomBox box = phantom_structure_box(s);
    /* Anatomy z of this plane, within the rotation's reach. */
    RertVec3 centre = {0.0, 0.0, z};
    double za = rert_mat4_apply_point(m->to_anatomy[c], centre).z;
    double lo = fmax(box.lo[2], za - 100.0);
    double hi = fmin(box.hi[2], za + 100.0);
    if (lo > hi) {
        return false;
    }
    bounds[0] = bounds[1] = HUGE_VAL;
    bounds[2] = bounds[3] = -HUGE_VAL;
    for (int corner = 0; corner < 8; corner++) {
        RertVec3 p = {(corner & 1) ? box.hi[0] : box.lo[0],
                      (corner & 2) ? box.hi[1] : box.lo[1],
                      (corner & 4) ? hi : lo};
        RertVec3 q = rert_mat4_apply_point(m->from_anatomy[c], p);
        bounds[0] = fmin(bounds[0], q.x);
        bounds[1] = fmin(bounds[1], q.y);
        bounds[2] = fmax(bounds[2], q.x);
        bounds[3] = fmax(bounds[3], q.y);
    }
    /* The deformation moves no tissue further than its bound. */
    double pad = phantom_deformation_bound(m, c);
    bounds[0] = fmax(bounds[0] - pad, fov[0]);
    bounds[1] = fmax(bounds[1] - pad, fov[1]);
    bounds[2] = fmin(bounds[2] + pad, fov[2]);
    bounds[3] = fmin(bounds[3] + pad, fov[3]);
    return bounds[0] < bounds[2] && bounds[1] < bounds[3];
}

bool phantom_contours_slice(RertError *err,
                            const PhantomModel *m,
                            unsigned c,
                            RertPhantomStructure s,
                            double z_mm,
                            const double fov[4],
                            double max_step_mm,
                            PhantomContourWork *w,
                            PhantomContours *out)
{
    double b[4];
    if (!plane_bounds(m, c, s, z_mm, fov, b)) {
        return true;
    }
    /* Sampling step: 1/60 of the box's smaller side, 0.25 to 0.5 mm (the
     * mandible's corners need 0.5), and up to @p max_step_mm for the large
     * and smooth body outline. */
    PhantomBox box = phantom_structure_box(s);
    double side = fmin(box.hi[0] - box.lo[0], box.hi[1] - box.lo[1]);
    double step_mm =
        s == RERT_PHANTOM_BODY
            ? max_step_mm
            : fmin(max_step_mm, fmax(0.25, fmin(0.5, side / 60.0)));
    Lattice lat;
    lat.step = step_mm;
    lat.x0 = b[0] - step_mm;
    lat.y0 = b[1] - step_mm;
    lat.nx = (size_t)ceil((b[2] - b[0]) / step_mm) + 3;
    lat.ny = (size_t)ceil((b[3] - b[1]) / step_mm) + 3;
    lat.z = z_mm;
    size_t nodes;
    if (!rert_mul_size(err, lat.nx, lat.ny, &nodes) ||
        !work_reserve(err, w, nodes)) {
        return false;
    }
    if (nodes * 2 >= (size_t)NO_LINK) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "phantom contour lattice of %zu x %zu samples "
                              "is too large",
                              lat.nx, lat.ny);
    }
    sample(m, c, s, &lat, w->values);
    memset(w->links, 0xFF, nodes * 4 * sizeof *w->links);
    for (size_t j = 0; j + 1 < lat.ny; j++) {
        for (size_t i = 0; i + 1 < lat.nx; i++) {
            cell_segments(&lat, w->values, i, j, w->links);
        }
    }
    return trace(err, &lat, w, out);
}

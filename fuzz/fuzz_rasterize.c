/* Fuzz target: planar contours -> voxel occupancy (rert_rasterize_polygons).
 * The bytes choose a small grid (at most 16 x 16 x 8, one of eight patient
 * orientations) and up to 8 polygons of up to 32 points, mostly in planes
 * perpendicular to the slice direction, sometimes bent or tilted. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/core.h>
#include <rert/geometry.h>

#define MAX_POLYGONS 8
#define MAX_POINTS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Bytes {
    const uint8_t *data;
    size_t size;
    size_t pos;
} Bytes;

/* Next byte, or 0 once the input is used up. */
static uint8_t take(Bytes *b)
{
    return b->pos < b->size ? b->data[b->pos++] : 0;
}

/* A signed value in [-32, 31.75] mm, quarter-mm steps. */
static double take_mm(Bytes *b)
{
    return ((double)take(b) - 128.0) * 0.25;
}

/* ImageOrientationPatient of HFS, HFP, FFS, FFP, HFDL, HFDR, FFDL, FFDR. */
static const double orientations[8][6] = {
    {1, 0, 0, 0, 1, 0},  {-1, 0, 0, 0, -1, 0}, {-1, 0, 0, 0, 1, 0},
    {1, 0, 0, 0, -1, 0}, {0, -1, 0, 1, 0, 0},  {0, 1, 0, -1, 0, 0},
    {0, 1, 0, 1, 0, 0},  {0, -1, 0, -1, 0, 0},
};

static bool make_grid(Bytes *b, RertGridGeometry *g)
{
    size_t dims[3] = {1 + take(b) % 16u, 1 + take(b) % 16u, 1 + take(b) % 8u};
    double spacing[3];
    double origin[3];
    for (int a = 0; a < 3; a++) {
        spacing[a] = 0.25 + 0.25 * (double)(take(b) % 16u);
        origin[a] = take_mm(b);
    }
    const double *iop = orientations[take(b) % 8u];
    double dir[9] = {iop[0], iop[1], iop[2], iop[3], iop[4], iop[5]};
    dir[6] = iop[1] * iop[5] - iop[2] * iop[4];
    dir[7] = iop[2] * iop[3] - iop[0] * iop[5];
    dir[8] = iop[0] * iop[4] - iop[1] * iop[3];
    if (take(b) & 1u) { /* left-handed: slices stacked the other way */
        dir[6] = -dir[6];
        dir[7] = -dir[7];
        dir[8] = -dir[8];
    }
    return rert_grid_geometry_make(NULL, dims, origin, spacing, dir, 4096, g);
}

/* Point at in-plane (u, v) mm and height w mm along the slice normal. */
static RertVec3
grid_point(const RertGridGeometry *g, double u, double v, double w)
{
    const double *d = g->direction;
    RertVec3 p = {
        g->origin_mm[0] + u * d[0] + v * d[3] + w * d[6],
        g->origin_mm[1] + u * d[1] + v * d[4] + w * d[7],
        g->origin_mm[2] + u * d[2] + v * d[5] + w * d[8],
    };
    return p;
}

static size_t make_polygons(Bytes *b,
                            const RertGridGeometry *g,
                            RertVec3 points[MAX_POLYGONS][MAX_POINTS],
                            RertPolygon *polys)
{
    size_t count = take(b) % (MAX_POLYGONS + 1u);
    for (size_t p = 0; p < count; p++) {
        size_t n = take(b) % (MAX_POINTS + 1u);
        double w = take_mm(b) * 0.5;
        uint8_t bend = take(b);
        for (size_t m = 0; m < n; m++) {
            double u = take_mm(b);
            double v = take_mm(b);
            /* Mostly planar; sometimes a per-point wobble or a tilt. */
            double dw = 0.0;
            if (bend % 8u == 1u) {
                dw = (double)take(b) * 1e-4;
            } else if (bend % 8u == 2u) {
                dw = 0.05 * u;
            }
            points[p][m] = grid_point(g, u, v, w + dw);
        }
        polys[p].points_mm = points[p];
        polys[p].count = n;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static RertVec3 points[MAX_POLYGONS][MAX_POINTS];
    RertPolygon polys[MAX_POLYGONS];
    Bytes b = {data, size, 0};
    RertGridGeometry g;
    if (!make_grid(&b, &g)) {
        return 0;
    }
    RertRasterOptions options = rert_raster_options_default();
    uint8_t flags = take(&b);
    options.subsamples = 1u + flags % 8u;
    options.half_end_caps = (flags & 8u) != 0;
    size_t count = make_polygons(&b, &g, points, polys);
    size_t n = rert_grid_voxel_count(&g);
    RertError err;
    float *fraction = rert_calloc(&err, n, sizeof(float));
    if (fraction == NULL) {
        return 0;
    }
    if (rert_rasterize_polygons(&err, &g, polys, count, &options, fraction)) {
        for (size_t v = 0; v < n; v++) {
            if (!(fraction[v] >= 0.0f && fraction[v] <= 1.0f)) {
                __builtin_trap();
            }
        }
    } else if (err.code != RERT_ERR_GEOMETRY) {
        __builtin_trap(); /* only geometry errors are expected here */
    }
    rert_free(fraction);
    return 0;
}

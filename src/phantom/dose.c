/* Phantom dose: an analytic model of a clinical photon dose (prescription
 * plateau in the PTV, error-function fall-off, low-dose bath, explicit
 * spinal cord sparing) and its RT Dose file (docs/phantom.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/radbio.h>
#include <rert/rt.h>

#include "internal.h"

/* Penumbra-like width of the fall-off (Gaussian sigma, mm) and the shift
 * that puts 95 % of the prescription on the PTV surface (Phi(1.645)). */
#define SIGMA_MM 4.0
#define EDGE_SHIFT_MM (1.645 * SIGMA_MM)
/* Low-dose bath: this fraction of the prescription at the PTV surface,
 * decaying exponentially with this length away from it. */
#define BATH_LEVEL 0.5
#define BATH_LENGTH_MM 25.0
/* A gentle 3 % hot spot at the target centre (Gaussian, sigma 12 mm). */
#define HOT_SPOT 0.03
#define HOT_SPOT_MM 12.0
/* Cord sparing acts on the cord plus a 2 mm planning risk volume, with a
 * 1 mm wide edge. */
#define CORD_PRV_MM 2.0
#define CORD_EDGE_MM 1.0
/* Step of the cord maximum search, mm. */
#define CORD_SEARCH_MM 0.5

/* Standard normal cumulative distribution function. */
static double phi(double z)
{
    return 0.5 * erfc(-z / 1.4142135623730951);
}

/* Target coverage fraction at signed distance @p s from a PTV surface. */
static double coverage(double s)
{
    return phi((EDGE_SHIFT_MM - s) / SIGMA_MM);
}

double phantom_dose(const PhantomModel *m, unsigned c, RertVec3 p)
{
    if (phantom_sdf(c, RERT_PHANTOM_BODY, p) > 0.0) {
        return 0.0;
    }
    const RertPhantomCourse *course = &m->options.courses[c];
    double s = phantom_sdf(c, RERT_PHANTOM_PTV, p);
    RertVec3 t = phantom_target_center(c);
    double d2 = (p.x - t.x) * (p.x - t.x) + (p.y - t.y) * (p.y - t.y) +
                (p.z - t.z) * (p.z - t.z);
    double core =
        coverage(s) *
        (1.0 + HOT_SPOT * exp(-d2 / (2.0 * HOT_SPOT_MM * HOT_SPOT_MM)));
    double nearest = s;
    if (phantom_structure_in_course(c, RERT_PHANTOM_PTV_ELECTIVE)) {
        double e = phantom_sdf(c, RERT_PHANTOM_PTV_ELECTIVE, p);
        core = fmax(core, PHANTOM_ELECTIVE_LEVEL * coverage(e));
        nearest = fmin(nearest, e);
    }
    double bath = BATH_LEVEL * exp(-fmax(nearest, 0.0) / BATH_LENGTH_MM);
    double dose =
        course->prescription_gy * (core + (1.0 - fmin(core, 1.0)) * bath);
    double cord = phantom_sdf(c, RERT_PHANTOM_SPINAL_CORD, p);
    double weight = phi((CORD_PRV_MM - cord) / CORD_EDGE_MM);
    if (dose > course->cord_cap_gy) {
        dose -= weight * (dose - course->cord_cap_gy);
    }
    return dose;
}

/* Calls @p fn for each anatomy point of a 0.5 mm grid inside the cord
 * whose course-@p c position has z within [z_lo, z_hi] (both courses
 * when @p c is RERT_PHANTOM_COURSES). */
typedef void (*CordVisit)(const PhantomModel *m, RertVec3 p, void *user);

static bool
within(const PhantomModel *m, unsigned c, RertVec3 p, double z_lo, double z_hi)
{
    for (unsigned k = 0; k < RERT_PHANTOM_COURSES; k++) {
        if (k == c || c == RERT_PHANTOM_COURSES) {
            double z = phantom_from_anatomy(m, k, p).z;
            if (z < z_lo || z > z_hi) {
                return false;
            }
        }
    }
    return true;
}

static void visit_cord(const PhantomModel *m,
                       unsigned c,
                       double z_lo,
                       double z_hi,
                       CordVisit fn,
                       void *user)
{
    PhantomBox box = phantom_structure_box(RERT_PHANTOM_SPINAL_CORD);
    /* The anatomy z range the course planes can reach (rotations are at
     * most 15 degrees, so 60 mm of slack is plenty at this width). */
    double z0 = fmax(z_lo - 60.0, -1000.0);
    double z1 = fmin(z_hi + 60.0, box.hi[2]);
    size_t nz = z1 > z0 ? (size_t)((z1 - z0) / CORD_SEARCH_MM) + 1 : 0;
    size_t nx = (size_t)((box.hi[0] - box.lo[0]) / CORD_SEARCH_MM) + 1;
    for (size_t k = 0; k < nz; k++) {
        double z = z0 + (double)k * CORD_SEARCH_MM;
        RertVec3 axis = rert_phantom_cord_center_mm(z);
        for (size_t j = 0; j < nx; j++) {
            for (size_t i = 0; i < nx; i++) {
                RertVec3 p = {box.lo[0] + (double)i * CORD_SEARCH_MM,
                              axis.y - 8.0 + (double)j * CORD_SEARCH_MM, z};
                if (phantom_sdf(0, RERT_PHANTOM_SPINAL_CORD, p) <= 0.0 &&
                    within(m, c, p, z_lo, z_hi)) {
                    fn(m, p, user);
                }
            }
        }
    }
}

typedef struct CordMax {
    unsigned c;
    double max_gy;
    RertVec3 where;
} CordMax;

static void cord_max_visit(const PhantomModel *m, RertVec3 p, void *user)
{
    CordMax *cm = user;
    double d = phantom_dose(m, cm->c, p);
    if (d > cm->max_gy) {
        cm->max_gy = d;
        cm->where = p;
    }
}

double phantom_cord_max(const PhantomModel *m,
                        unsigned c,
                        double z_lo,
                        double z_hi,
                        RertVec3 *where)
{
    CordMax cm = {c, 0.0, {0.0, 0.0, 0.0}};
    visit_cord(m, c, z_lo, z_hi, cord_max_visit, &cm);
    *where = cm.where;
    return cm.max_gy;
}

/* The hottest 0.03 cc of the 0.5 mm search grid: 30 / 0.125 points. */
#define D003_POINTS 240

/* The D003_POINTS highest values seen, as a min-heap (top[0] lowest). */
typedef struct TopValues {
    double top[D003_POINTS];
    size_t count;
} TopValues;

static void top_sift_down(TopValues *t, size_t i)
{
    for (;;) {
        size_t low = i;
        size_t l = 2 * i + 1;
        size_t r = l + 1;
        if (l < t->count && t->top[l] < t->top[low]) {
            low = l;
        }
        if (r < t->count && t->top[r] < t->top[low]) {
            low = r;
        }
        if (low == i) {
            return;
        }
        double tmp = t->top[i];
        t->top[i] = t->top[low];
        t->top[low] = tmp;
        i = low;
    }
}

static void top_add(TopValues *t, double v)
{
    if (t->count < D003_POINTS) {
        size_t i = t->count++;
        t->top[i] = v;
        while (i > 0 && t->top[(i - 1) / 2] > t->top[i]) {
            size_t parent = (i - 1) / 2;
            double tmp = t->top[i];
            t->top[i] = t->top[parent];
            t->top[parent] = tmp;
            i = parent;
        }
    } else if (v > t->top[0]) {
        t->top[0] = v;
        top_sift_down(t, 0);
    }
}

/* Lowest of the hottest 0.03 cc (0 when the cord has fewer points). */
static double top_d003(const TopValues *t)
{
    return t->count == D003_POINTS ? t->top[0] : 0.0;
}

typedef struct CordSum {
    double ab_gy;
    double physical_gy;
    double eqd2_gy;
    TopValues physical;
    TopValues eqd2;
} CordSum;

static void cord_sum_visit(const PhantomModel *m, RertVec3 p, void *user)
{
    CordSum *cs = user;
    double physical = 0.0;
    double eqd2 = 0.0;
    for (unsigned c = 0; c < RERT_PHANTOM_COURSES; c++) {
        double d = phantom_dose(m, c, p);
        double e = 0.0;
        /* LQ EQD2 with the course's own fraction count; the options were
         * checked, so this cannot fail. */
        (void)rert_lq_eqd2_compute(NULL, NULL, d,
                                   (unsigned)m->options.courses[c].fractions,
                                   cs->ab_gy, &e);
        physical += d;
        eqd2 += e;
    }
    cs->physical_gy = fmax(cs->physical_gy, physical);
    cs->eqd2_gy = fmax(cs->eqd2_gy, eqd2);
    top_add(&cs->physical, physical);
    top_add(&cs->eqd2, eqd2);
}

void phantom_cord_sum_max(const PhantomModel *m,
                          double z_lo,
                          double z_hi,
                          double ab_gy,
                          PhantomCordSum *out)
{
    CordSum cs;
    memset(&cs, 0, sizeof cs);
    cs.ab_gy = ab_gy;
    visit_cord(m, RERT_PHANTOM_COURSES, z_lo, z_hi, cord_sum_visit, &cs);
    out->physical_gy = cs.physical_gy;
    out->eqd2_gy = cs.eqd2_gy;
    out->physical_d003cc_gy = top_d003(&cs.physical);
    out->eqd2_d003cc_gy = top_d003(&cs.eqd2);
}

/* ---- the RT Dose grid and file */

/* Grid of @p h mm on multiples of @p h covering the body (as seen in this
 * course) inside the CT's field of view and the CT's slab. */
static bool dose_grid(RertError *err,
                      const PhantomModel *m,
                      const PhantomCourseFiles *f,
                      RertGridGeometry *out)
{
    double h = m->options.dose_grid_mm;
    const RertGridGeometry *ct = &f->ct;
    PhantomBox body = phantom_structure_box(RERT_PHANTOM_BODY);
    double lo[3];
    double hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = ct->origin_mm[a];
        hi[a] =
            ct->origin_mm[a] + (double)(ct->dims[a] - 1) * ct->spacing_mm[a];
    }
    double bx[2] = {HUGE_VAL, -HUGE_VAL};
    double by[2] = {HUGE_VAL, -HUGE_VAL};
    for (int corner = 0; corner < 8; corner++) {
        RertVec3 p = {(corner & 1) ? body.hi[0] : body.lo[0],
                      (corner & 2) ? body.hi[1] : body.lo[1],
                      (corner & 4) ? hi[2] + 40.0 : lo[2] - 40.0};
        /* Rigid part only: the deformation moves course-2 tissue towards
         * the canal's axis, which lies inside this box, so the deformed
         * body stays inside the box's rigid image. */
        RertVec3 q = rert_mat4_apply_point(m->from_anatomy[f->c], p);
        bx[0] = fmin(bx[0], q.x);
        bx[1] = fmax(bx[1], q.x);
        by[0] = fmin(by[0], q.y);
        by[1] = fmax(by[1], q.y);
    }
    lo[0] = fmax(lo[0], bx[0]);
    hi[0] = fmin(hi[0], bx[1]);
    lo[1] = fmax(lo[1], by[0]);
    hi[1] = fmin(hi[1], by[1]);
    size_t dims[3];
    double origin[3];
    double spacing[3] = {h, h, h};
    /* Along z, cover the CT slab including the half slices beyond the
     * first and last slice centres, where structures end (half end caps). */
    lo[2] -= ct->spacing_mm[2] / 2.0;
    hi[2] += ct->spacing_mm[2] / 2.0;
    for (int a = 0; a < 3; a++) {
        origin[a] = a == 2 ? floor(lo[a] / h) * h : ceil(lo[a] / h) * h;
        double last = a == 2 ? ceil(hi[a] / h) * h : floor(hi[a] / h) * h;
        dims[a] =
            last >= origin[a] ? (size_t)lround((last - origin[a]) / h) + 1 : 1;
    }
    static const double axes[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    return rert_grid_geometry_make(err, dims, origin, spacing, axes, 0, out);
}

static void fill_dose(const PhantomModel *m, unsigned c, RertVolume *v)
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    float *data = rert_volume_data(v);
    for (size_t k = 0; k < g->dims[2]; k++) {
        for (size_t j = 0; j < g->dims[1]; j++) {
            for (size_t i = 0; i < g->dims[0]; i++) {
                RertVec3 ijk = {(double)i, (double)j, (double)k};
                RertVec3 xyz = rert_grid_ijk_to_xyz(g, ijk);
                RertVec3 p = phantom_to_anatomy(m, c, xyz);
                data[rert_grid_index(g, i, j, k)] =
                    (float)phantom_dose(m, c, p);
            }
        }
    }
}

bool phantom_dose_write(RertError *err,
                        const PhantomModel *m,
                        PhantomCourseFiles *f,
                        const char *path)
{
    RertGridGeometry grid;
    if (!dose_grid(err, m, f, &grid)) {
        return false;
    }
    RertVolume *v = rert_volume_create(err, &grid);
    if (v == NULL) {
        return false;
    }
    fill_dose(m, f->c, v);
    char comment[64];
    (void)snprintf(comment, sizeof comment,
                   "rert phantom: analytic physical dose, course %u", f->c + 1);
    RertDoseWriteOptions w = rert_dose_write_options_default();
    w.source = f->header;
    w.comment = comment;
    w.series_description = comment;
    const char *plans[1] = {f->rp_uid};
    w.referenced_plan_uids = plans;
    w.referenced_plan_count = 1;
    w.series_number = 4;
    RertDoseWriteReport report;
    RertDataset *ds = rert_dose_build_dataset(err, v, &w, &report);
    rert_volume_destroy(v);
    bool ok = ds != NULL && phantom_save(err, ds, path, f);
    rert_dataset_destroy(ds);
    if (ok) {
        memcpy(f->rd_uid, report.sop_instance_uid, sizeof f->rd_uid);
    }
    return ok;
}

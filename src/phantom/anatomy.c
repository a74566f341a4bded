/* Phantom anatomy: analytic head-and-neck shapes as signed distance
 * functions in course-1 patient coordinates (LPS, mm), their CT numbers,
 * and the course transforms (docs/phantom.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/geometry.h>
#include <rert/phantom.h>

#include "internal.h"

/* sqrt(x^2 + y^2): the values here are millimetres, far from overflow, so
 * the slower hypot() is not needed. */
static double norm2(double x, double y)
{
    return sqrt(x * x + y * y);
}

#define DEG_TO_RAD (3.14159265358979323846 / 180.0)

/* Foramen magnum: the spinal cord ends and the brainstem begins here. */
#define Z_FORAMEN_MM 50.0
/* Top of the brainstem (pons): 28 mm above the foramen, so that course 2's
 * brainstem, moved by the known transform, stays inside course 1's scan
 * (the scans are 177 mm long; a structure running out of the top of one
 * scan would have no prior dose there). */
#define Z_BRAINSTEM_TOP_MM 78.0

RertPhantomOptions rert_phantom_options_default(void)
{
    RertPhantomOptions o;
    memset(&o, 0, sizeof o);
    o.ct_dims[0] = RERT_PHANTOM_DEFAULT_CT_COLUMNS;
    o.ct_dims[1] = RERT_PHANTOM_DEFAULT_CT_ROWS;
    o.ct_dims[2] = RERT_PHANTOM_DEFAULT_CT_SLICES;
    o.ct_spacing_mm[0] = RERT_PHANTOM_DEFAULT_PIXEL_MM;
    o.ct_spacing_mm[1] = RERT_PHANTOM_DEFAULT_PIXEL_MM;
    o.ct_spacing_mm[2] = RERT_PHANTOM_DEFAULT_SLICE_MM;
    o.dose_grid_mm = RERT_PHANTOM_DEFAULT_DOSE_GRID_MM;
    o.noise_hu = RERT_PHANTOM_DEFAULT_NOISE_HU;
    o.seed = RERT_PHANTOM_DEFAULT_SEED;
    o.translation_mm[0] = 3.0;
    o.translation_mm[1] = -2.0;
    o.translation_mm[2] = 4.5;
    o.rotation_deg[0] = 2.0;
    o.rotation_deg[1] = 0.0;
    o.rotation_deg[2] = 3.0;
    o.deformation_mm = 0.0;
    o.patient_id = RERT_PHANTOM_DEFAULT_PATIENT_ID;
    o.patient_name = RERT_PHANTOM_DEFAULT_PATIENT_NAME;
    o.courses[0].start_date = "20230109";
    o.courses[0].prescription_gy = 70.0;
    o.courses[0].fractions = 35;
    o.courses[0].cord_cap_gy = 48.0;
    o.courses[1].start_date = "20250203";
    o.courses[1].prescription_gy = 60.0;
    o.courses[1].fractions = 30;
    o.courses[1].cord_cap_gy = 30.0;
    return o;
}

RertMat4 rert_phantom_course2_to_course1(const RertPhantomOptions *options)
{
    RertPhantomOptions o =
        options != NULL ? *options : rert_phantom_options_default();
    double ax = o.rotation_deg[0] * DEG_TO_RAD;
    double ay = o.rotation_deg[1] * DEG_TO_RAD;
    double az = o.rotation_deg[2] * DEG_TO_RAD;
    RertMat4 rx = rert_mat4_identity();
    RertMat4 ry = rert_mat4_identity();
    RertMat4 rz = rert_mat4_identity();
    rx.m[1][1] = cos(ax);
    rx.m[1][2] = -sin(ax);
    rx.m[2][1] = sin(ax);
    rx.m[2][2] = cos(ax);
    ry.m[0][0] = cos(ay);
    ry.m[0][2] = sin(ay);
    ry.m[2][0] = -sin(ay);
    ry.m[2][2] = cos(ay);
    rz.m[0][0] = cos(az);
    rz.m[0][1] = -sin(az);
    rz.m[1][0] = sin(az);
    rz.m[1][1] = cos(az);
    RertMat4 r = rert_mat4_multiply(rz, rert_mat4_multiply(ry, rx));
    for (int i = 0; i < 3; i++) {
        r.m[i][3] = o.translation_mm[i];
    }
    return r;
}

/* Inverse of a rigid matrix: R^T and -R^T t. */
static RertMat4 rigid_inverse(RertMat4 m)
{
    RertMat4 inv = rert_mat4_identity();
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            inv.m[r][c] = m.m[c][r];
        }
    }
    for (int r = 0; r < 3; r++) {
        inv.m[r][3] = -(inv.m[r][0] * m.m[0][3] + inv.m[r][1] * m.m[1][3] +
                        inv.m[r][2] * m.m[2][3]);
    }
    return inv;
}

void phantom_model_init(PhantomModel *m, const RertPhantomOptions *o)
{
    m->options = o != NULL ? *o : rert_phantom_options_default();
    m->to_anatomy[0] = rert_mat4_identity();
    m->from_anatomy[0] = rert_mat4_identity();
    m->to_anatomy[1] = rert_phantom_course2_to_course1(&m->options);
    m->from_anatomy[1] = rigid_inverse(m->to_anatomy[1]);
}

/* ---- shape primitives (approximate signed distances, mm) */

static double clamp01(double t)
{
    return t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
}

static double smoothstep(double e0, double e1, double x)
{
    double t = clamp01((x - e0) / (e1 - e0));
    return t * t * (3.0 - 2.0 * t);
}

/* Ellipse (semi-axes a, b) at offset (dx, dy): k0 (k0 - 1) / k1, exact on
 * the curve and for circles, a close distance estimate near it. */
static double ellipse(double dx, double dy, double a, double b)
{
    if (a == b) {
        return norm2(dx, dy) - a;
    }
    double k0 = norm2(dx / a, dy / b);
    double k1 = norm2(dx / (a * a), dy / (b * b));
    if (k1 < 1e-12) {
        return -fmin(a, b);
    }
    return k0 * (k0 - 1.0) / k1;
}

/* Ellipsoid centred at @p c with semi-axes @p r, same estimate. */
static double ellipsoid(RertVec3 p, RertVec3 c, RertVec3 r)
{
    double dx = p.x - c.x;
    double dy = p.y - c.y;
    double dz = p.z - c.z;
    double k0 = sqrt((dx / r.x) * (dx / r.x) + (dy / r.y) * (dy / r.y) +
                     (dz / r.z) * (dz / r.z));
    double qx = dx / (r.x * r.x);
    double qy = dy / (r.y * r.y);
    double qz = dz / (r.z * r.z);
    double k1 = sqrt(qx * qx + qy * qy + qz * qz);
    if (k1 < 1e-12) {
        return -fmin(r.x, fmin(r.y, r.z));
    }
    return k0 * (k0 - 1.0) / k1;
}

static RertVec3 vec3(double x, double y, double z)
{
    RertVec3 v = {x, y, z};
    return v;
}

/* Outside the slab z0 <= z <= z1: positive distance, inside negative. */
static double slab(double z, double z0, double z1)
{
    return fmax(z0 - z, z - z1);
}

/* ---- the anatomy */

/* Posterior position of the spinal canal: a gentle lordosis. */
static double spine_y(double z)
{
    return 38.0 + 3.0 * (z / 90.0) * (z / 90.0);
}

RertVec3 rert_phantom_cord_center_mm(double z_mm)
{
    return vec3(0.0, spine_y(z_mm), z_mm);
}

/* 0 in the neck, 1 in the head (face and skull base). */
static double head_weight(double z)
{
    return smoothstep(-15.0, 25.0, z);
}

static double body_sdf(RertVec3 p)
{
    double s = head_weight(p.z);
    return ellipse(p.x, p.y - (10.0 - 2.0 * s), 60.0 + 12.0 * s,
                   60.0 + 22.0 * s);
}

static double airway_sdf(RertVec3 p)
{
    double t = clamp01((p.z + 30.0) / 60.0);
    double cy = -14.0 + 8.0 * t;
    return fmax(ellipse(p.x, p.y - cy, 8.0 + 2.0 * t, 7.0 - 1.0 * t),
                p.z - 45.0);
}

static double canal_sdf(RertVec3 p)
{
    return fmax(ellipse(p.x, p.y - spine_y(p.z), 9.0, 8.0), p.z - Z_FORAMEN_MM);
}

/* Vertebral bodies (anterior) and the bony ring around the canal. */
static double vertebral_body_sdf(RertVec3 p)
{
    return fmax(ellipse(p.x, p.y - (spine_y(p.z) - 22.0), 16.0, 12.0),
                p.z - 44.0);
}

static double vertebral_ring_sdf(RertVec3 p)
{
    return fmax(ellipse(p.x, p.y - (spine_y(p.z) + 1.0), 16.0, 15.0),
                p.z - Z_FORAMEN_MM);
}

static bool in_disc(double z)
{
    return cos(2.0 * 3.14159265358979323846 * (z - 4.0) / 18.0) > 0.8;
}

static double mandible_sdf(RertVec3 p)
{
    double outer = ellipse(p.x, p.y - 8.0, 52.0, 68.0);
    double inner = ellipse(p.x, p.y - 8.0, 44.0, 58.0);
    return fmax(fmax(outer, -inner), fmax(p.y - 10.0, slab(p.z, 12.0, 42.0)));
}

static double gtv1_primary(RertVec3 p, double margin)
{
    return ellipsoid(p, vec3(-18.0, -12.0, 28.0),
                     vec3(11.0 + margin, 9.0 + margin, 13.0 + margin));
}

static double gtv1_node(RertVec3 p, double margin)
{
    return ellipsoid(p, vec3(-30.0, 12.0, 12.0),
                     vec3(8.0 + margin, 8.0 + margin, 10.0 + margin));
}

static double gtv2(RertVec3 p, double margin)
{
    return ellipsoid(p, vec3(-24.0, 26.0, 12.0),
                     vec3(7.0 + margin, 8.0 + margin, 10.0 + margin));
}

/* Target volumes: CTV = GTV + 5 mm, PTV = CTV + 3 mm (semi-axes grown). */
static double target(unsigned c, RertVec3 p, double margin)
{
    if (c == 0) {
        return fmin(gtv1_primary(p, margin), gtv1_node(p, margin));
    }
    return gtv2(p, margin);
}

static double elective_sdf(RertVec3 p)
{
    RertVec3 r = vec3(12.0, 14.0, 42.0);
    return fmin(ellipsoid(p, vec3(21.0, 27.0, -8.0), r),
                ellipsoid(p, vec3(-21.0, 27.0, -8.0), r));
}

RertVec3 phantom_target_center(unsigned c)
{
    return c == 0 ? vec3(-18.0, -12.0, 28.0) : vec3(-24.0, 26.0, 12.0);
}

static double organ_sdf(RertPhantomStructure s, RertVec3 p)
{
    switch (s) {
    case RERT_PHANTOM_SPINAL_CORD:
        return fmax(ellipse(p.x, p.y - spine_y(p.z), 5.5, 4.5),
                    p.z - Z_FORAMEN_MM);
    case RERT_PHANTOM_BRAINSTEM:
        return fmax(fmax(ellipse(p.x, p.y - (spine_y(p.z) - 8.0), 13.0, 11.0),
                         Z_FORAMEN_MM - p.z),
                    p.z - Z_BRAINSTEM_TOP_MM);
    case RERT_PHANTOM_PAROTID_L:
        return ellipsoid(p, vec3(48.0, 30.0, 40.0), vec3(11.0, 14.0, 18.0));
    case RERT_PHANTOM_PAROTID_R:
        return ellipsoid(p, vec3(-48.0, 30.0, 40.0), vec3(11.0, 14.0, 18.0));
    case RERT_PHANTOM_MANDIBLE:
        return mandible_sdf(p);
    case RERT_PHANTOM_CAROTID_L:
        return fmax(norm2(p.x - 22.0, p.y - 4.0) - 3.5, p.z - 45.0);
    case RERT_PHANTOM_CAROTID_R:
        return fmax(norm2(p.x + 22.0, p.y - 4.0) - 3.5, p.z - 45.0);
    default:
        return body_sdf(p);
    }
}

double phantom_sdf(unsigned c, RertPhantomStructure s, RertVec3 p)
{
    switch (s) {
    case RERT_PHANTOM_GTV:
        return target(c, p, 0.0);
    case RERT_PHANTOM_CTV:
        return target(c, p, 5.0);
    case RERT_PHANTOM_PTV:
        return target(c, p, 8.0);
    case RERT_PHANTOM_PTV_ELECTIVE:
        return c == 0 ? elective_sdf(p) : HUGE_VAL;
    default:
        return organ_sdf(s, p);
    }
}

PhantomBox phantom_structure_box(RertPhantomStructure s)
{
    /* x0 y0 z0 x1 y1 z1 per structure, a few mm beyond each shape. */
    static const double boxes[RERT_PHANTOM_STRUCTURE_COUNT][6] = {
        {-75, -78, -HUGE_VAL, 75, 93, HUGE_VAL}, /* body */
        {-8, 33, -HUGE_VAL, 8, 51, 52},          /* cord */
        {-16, 18, 48, 16, 52, 80},               /* brainstem */
        {34, 13, 19, 62, 47, 61},                /* parotid L */
        {-62, 13, 19, -34, 47, 61},              /* parotid R */
        {-55, -63, 10, 55, 13, 44},              /* mandible */
        {16, -2, -HUGE_VAL, 28, 10, 47},         /* carotid L */
        {-28, -2, -HUGE_VAL, -16, 10, 47},       /* carotid R */
        {-60, -40, -20, 20, 60, 70},             /* GTV (either course) */
        {-60, -40, -20, 20, 60, 70},             /* CTV */
        {-60, -40, -20, 20, 60, 70},             /* PTV */
        {-36, 10, -53, 36, 44, 37},              /* elective PTV */
    };
    PhantomBox b;
    for (int i = 0; i < 3; i++) {
        b.lo[i] = boxes[s][i];
        b.hi[i] = boxes[s][i + 3];
    }
    return b;
}

bool phantom_structure_in_course(unsigned c, RertPhantomStructure s)
{
    return s < RERT_PHANTOM_STRUCTURE_COUNT &&
           (s != RERT_PHANTOM_PTV_ELECTIVE || c == 0);
}

const char *phantom_structure_type(RertPhantomStructure s)
{
    static const char *const types[RERT_PHANTOM_STRUCTURE_COUNT] = {
        "EXTERNAL", "ORGAN", "ORGAN", "ORGAN", "ORGAN", "ORGAN",
        "ORGAN",    "ORGAN", "GTV",   "CTV",   "PTV",   "PTV"};
    return types[s];
}

void phantom_structure_color(RertPhantomStructure s, uint16_t rgb[3])
{
    static const uint16_t colors[RERT_PHANTOM_STRUCTURE_COUNT][3] = {
        {0, 255, 0},   {255, 255, 0},   {0, 255, 255}, {255, 128, 0},
        {255, 160, 0}, {200, 200, 255}, {255, 0, 128}, {200, 0, 100},
        {255, 0, 0},   {255, 0, 255},   {0, 0, 255},   {100, 100, 255}};
    memcpy(rgb, colors[s], sizeof colors[s]);
}

/* ---- CT numbers */

/* Paint @p hu over @p value where @p sdf is inside, blended linearly over
 * @p blend_mm across the surface. */
static double paint(double value, double sdf, double hu, double blend_mm)
{
    double cover = clamp01(0.5 - sdf / blend_mm);
    return value + (hu - value) * cover;
}

static double head_and_skull(RertVec3 p, double body, double v, double w)
{
    /* Skull (3 mm of scalp, 6 mm of bone) and brain above the skull base,
     * faded in over 6 mm of height. */
    double top = smoothstep(54.0, 60.0, p.z);
    if (top <= 0.0) {
        return v;
    }
    double bone = fmax(-(body + 9.0), body + 3.0);
    double skull = paint(v, bone, 900.0, w);
    double brain = paint(skull, body + 9.0, 30.0, w);
    return v + (brain - v) * top;
}

static bool near_box(RertPhantomStructure s, RertVec3 p, double w)
{
    PhantomBox b = phantom_structure_box(s);
    return p.x >= b.lo[0] - w && p.x <= b.hi[0] + w && p.y >= b.lo[1] - w &&
           p.y <= b.hi[1] + w && p.z >= b.lo[2] - w && p.z <= b.hi[2] + w;
}

/* Paint structure @p s when @p p is near its box (a shortcut: paint()
 * changes nothing more than half a blend width outside a shape). */
static double
paint_organ(double v, RertPhantomStructure s, RertVec3 p, double hu, double w)
{
    return near_box(s, p, w) ? paint(v, organ_sdf(s, p), hu, w) : v;
}

/* Vertebrae, spinal canal, cord and brainstem. */
static double paint_spine(double v, RertVec3 p, double w)
{
    if (fabs(p.x) > 20.0 + w || p.y < -5.0 - w || p.y > 62.0 + w) {
        return v;
    }
    if (p.z < Z_FORAMEN_MM + w) {
        v = paint(v, vertebral_body_sdf(p), in_disc(p.z) ? 80.0 : 700.0, w);
        v = paint(v, vertebral_ring_sdf(p), 700.0, w);
        v = paint(v, canal_sdf(p), 15.0, w);
        v = paint(v, organ_sdf(RERT_PHANTOM_SPINAL_CORD, p), 35.0, w);
    }
    return paint_organ(v, RERT_PHANTOM_BRAINSTEM, p, 35.0, w);
}

double phantom_hu(unsigned c, RertVec3 p, double w)
{
    double body = body_sdf(p);
    if (body >= 0.5 * w) {
        return -1000.0; /* air: paint() below would give exactly this */
    }
    double v = paint(40.0, -(body + 6.0), -90.0, w); /* subcutaneous fat */
    v = head_and_skull(p, body, v, w);
    v = paint_organ(v, RERT_PHANTOM_PAROTID_L, p, -30.0, w);
    v = paint_organ(v, RERT_PHANTOM_PAROTID_R, p, -30.0, w);
    v = paint_organ(v, RERT_PHANTOM_CAROTID_L, p, 60.0, w);
    v = paint_organ(v, RERT_PHANTOM_CAROTID_R, p, 60.0, w);
    if (p.z < 45.0 + w) {
        v = paint(v, airway_sdf(p), -1000.0, w);
    }
    if (near_box(RERT_PHANTOM_GTV, p, w)) {
        v = paint(v, target(c, p, 0.0), 60.0, w);
    }
    v = paint_spine(v, p, w);
    v = paint_organ(v, RERT_PHANTOM_MANDIBLE, p, 900.0, w);
    return paint(-1000.0, body, v, w);
}

/* ---- public evaluators */

static bool course_ok(unsigned course)
{
    return course >= 1 && course <= RERT_PHANTOM_COURSES;
}

double rert_phantom_structure_sdf_mm(const RertPhantomOptions *options,
                                     unsigned course,
                                     RertPhantomStructure structure,
                                     RertVec3 xyz)
{
    if (!course_ok(course) ||
        (unsigned)structure >= (unsigned)RERT_PHANTOM_STRUCTURE_COUNT) {
        return (double)NAN;
    }
    PhantomModel m;
    phantom_model_init(&m, options);
    RertVec3 p = phantom_to_anatomy(&m, course - 1, xyz);
    return phantom_sdf(course - 1, structure, p);
}

double rert_phantom_hu(const RertPhantomOptions *options,
                       unsigned course,
                       RertVec3 xyz)
{
    if (!course_ok(course)) {
        return (double)NAN;
    }
    PhantomModel m;
    phantom_model_init(&m, options);
    RertVec3 p = phantom_to_anatomy(&m, course - 1, xyz);
    return phantom_hu(course - 1, p, m.options.ct_spacing_mm[0]);
}

double rert_phantom_dose_gy(const RertPhantomOptions *options,
                            unsigned course,
                            RertVec3 xyz)
{
    if (!course_ok(course)) {
        return (double)NAN;
    }
    PhantomModel m;
    phantom_model_init(&m, options);
    RertVec3 p = phantom_to_anatomy(&m, course - 1, xyz);
    return phantom_dose(&m, course - 1, p);
}

void phantom_ptv_name(const RertPhantomOptions *o,
                      unsigned c,
                      char *buf,
                      size_t size)
{
    (void)snprintf(buf, size, "PTV_%.0f", o->courses[c].prescription_gy);
}

const char *rert_phantom_structure_name(const RertPhantomOptions *options,
                                        unsigned course,
                                        RertPhantomStructure structure,
                                        char *buf,
                                        size_t size)
{
    static const char *const names[RERT_PHANTOM_STRUCTURE_COUNT] = {
        "BODY",      "SpinalCord", "Brainstem", "Parotid_L",
        "Parotid_R", "Mandible",   "Carotid_L", "Carotid_R",
        "GTV",       "CTV",        NULL,        NULL};
    if (!course_ok(course) ||
        (unsigned)structure >= (unsigned)RERT_PHANTOM_STRUCTURE_COUNT ||
        !phantom_structure_in_course(course - 1, structure)) {
        return NULL;
    }
    if (names[structure] != NULL) {
        return names[structure];
    }
    if (buf == NULL || size < 16) {
        return NULL;
    }
    RertPhantomOptions o =
        options != NULL ? *options : rert_phantom_options_default();
    if (structure == RERT_PHANTOM_PTV) {
        phantom_ptv_name(&o, course - 1, buf, size);
    } else {
        (void)snprintf(buf, size, "PTV_%.0f",
                       PHANTOM_ELECTIVE_LEVEL * o.courses[0].prescription_gy);
    }
    return buf;
}

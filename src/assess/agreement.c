/* Registration quality (docs/assessment.md): each organ drawn in both a
 * prior course and the planned course is propagated from the prior course
 * onto the reference anatomy through the course's mapping and compared
 * with the planned contour (Dice, mean surface distance, 95 % Hausdorff),
 * next to the AAPM TG-132 tolerances. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The prior course's ROI drawn for the same structure as @p r. */
static const RertRoi *
prior_roi(const RertAssessment *a, const Course *k, const Roi *r)
{
    size_t n = rert_structure_set_roi_count(k->structures);
    for (size_t i = 0; i < n; i++) {
        const RertRoi *p = rert_structure_set_roi_at(k->structures, i);
        if (rert_roi_status(p) != RERT_OK) {
            continue;
        }
        RertOrganMatch m = rert_organ_table_match(a->organs, rert_roi_name(p));
        if (assess_name_equal(rert_roi_name(p), r->name) ||
            (m.is_matched && r->organ != NULL &&
             strcmp(m.organ, r->organ) == 0 &&
             m.side == rert_organ_table_match(a->organs, r->name).side)) {
            return p;
        }
    }
    return NULL;
}

static const RertGridGeometry *moving_grid(const Course *k)
{
    return k->ct != NULL ? rert_volume_geometry(rert_image_series_volume(k->ct))
                         : rert_volume_geometry(rert_dose_volume(k->dose));
}

static bool compare_one(RertError *err,
                        RertAssessment *a,
                        const Course *k,
                        const Roi *r,
                        const RertRoi *p,
                        float *occ)
{
    size_t count = 0;
    const RertPolygon *poly = rert_roi_polygons(p, &count);
    if (count == 0) {
        return true;
    }
    RertPlanarContours *c = rert_contours_propagate(
        err, moving_grid(k), poly, count, &a->ref, k->to_course, NULL, occ);
    if (c == NULL) {
        return false;
    }
    rert_planar_contours_destroy(c);
    Agreement *g = &a->agreements[a->agreement_count];
    if (!rert_structure_agreement_compute(err, &a->ref, occ, r->occupancy, 0.5,
                                          &g->stats)) {
        return false;
    }
    g->course = k;
    g->roi = r;
    a->agreement_count++;
    return true;
}

bool assess_agreement(RertError *err, RertAssessment *a)
{
    size_t n = rert_grid_voxel_count(&a->ref);
    a->agreements = rert_calloc(err, a->course_count * a->roi_count + 1,
                                sizeof *a->agreements);
    float *occ = rert_alloc_voxels(err, n, sizeof(float));
    bool ok = a->agreements != NULL && occ != NULL;
    for (size_t c = 0; ok && c < a->course_count; c++) {
        const Course *k = &a->courses[c];
        if (k->is_planned || !k->has_voxels || k->structures == NULL) {
            continue;
        }
        for (size_t r = 0; ok && r < a->roi_count; r++) {
            if (a->rois[r].organ == NULL) {
                continue; /* targets differ between courses by design */
            }
            const RertRoi *p = prior_roi(a, k, &a->rois[r]);
            ok = p == NULL || compare_one(err, a, k, &a->rois[r], p, occ);
            if (!ok) {
                rert_error_prefix(err, "propagating '%s' of course '%s'",
                                  a->rois[r].name, k->spec->name);
            }
        }
    }
    rert_free(occ);
    return ok;
}

static const char *tolerance_text(const char *quantity, char *buf, size_t size)
{
    for (size_t i = 0; i < rert_tg132_tolerance_count(); i++) {
        const RertRegistrationTolerance *t = rert_tg132_tolerance(i);
        if (strcmp(t->quantity, quantity) == 0) {
            (void)snprintf(buf, size, "%s %g %s [%s]", t->label, t->limit,
                           t->unit, t->evidence);
            return buf;
        }
    }
    return "";
}

bool assess_agreement_html(RertError *err,
                           RertStrbuf *sb,
                           const RertAssessment *a)
{
    char tol[4][192];
    bool ok = rert_strbuf_puts(
        err, sb,
        "<section><h2>Registration quality</h2><p>Structures drawn in both "
        "an earlier course and the planned course: the earlier contour is "
        "carried onto the planned anatomy through the course's mapping and "
        "compared with the planned one. AAPM TG-132 tolerances (tags as in "
        "the science notes; R = not verified): ");
    const char *keys[4] = {"contour_dice", "contour_mean_distance_voxel",
                           "rigid_error_voxel", "dir_tre_mean_mm"};
    for (size_t i = 0; ok && i < 4; i++) {
        const char *t = tolerance_text(keys[i], tol[i], sizeof tol[i]);
        ok = t[0] == '\0' || (rert_strbuf_puts(err, sb, i > 0 ? "; " : "") &&
                              rert_html_escape_text(err, sb, t));
    }
    ok = ok && rert_strbuf_puts(err, sb,
                                ".</p><table><tr><th>course</th><th>"
                                "structure</th><th>Dice</th><th>mean surface "
                                "distance mm</th><th>95 % Hausdorff mm</th>"
                                "</tr>");
    for (size_t i = 0; ok && i < a->agreement_count; i++) {
        const Agreement *g = &a->agreements[i];
        ok = rert_strbuf_puts(err, sb, "<tr><td>") &&
             rert_html_escape_text(err, sb, g->course->spec->name) &&
             rert_strbuf_puts(err, sb, "</td><td>") &&
             rert_html_escape_text(err, sb, g->roi->name) &&
             rert_strbuf_printf(err, sb,
                                "</td><td>%.3f</td><td>%.2f</td><td>%.2f</td>"
                                "</tr>",
                                g->stats.dice, g->stats.mean_surface_mm,
                                g->stats.hausdorff95_mm);
    }
    return ok && rert_strbuf_puts(err, sb, "</table>") &&
           assess_regqa_html(err, sb, a) &&
           rert_strbuf_puts(err, sb, "</section>");
}

bool assess_agreement_json(RertError *err,
                           RertJsonWriter *w,
                           const RertAssessment *a)
{
    (void)rert_json_write_key(err, w, "registration_quality");
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < a->agreement_count; i++) {
        const Agreement *g = &a->agreements[i];
        (void)rert_json_object_begin(err, w);
        (void)rert_json_write_key_string(err, w, "course",
                                         g->course->spec->name);
        (void)rert_json_write_key_string(err, w, "structure", g->roi->name);
        (void)rert_json_write_key_number(err, w, "dice", g->stats.dice);
        (void)rert_json_write_key_number(err, w, "mean_surface_mm",
                                         g->stats.mean_surface_mm);
        (void)rert_json_write_key_number(err, w, "hausdorff95_mm",
                                         g->stats.hausdorff95_mm);
        (void)rert_json_object_end(err, w);
    }
    (void)rert_json_array_end(err, w);
    return !w->has_failed;
}

/* Patient selection: the verified prognostic scores and the consensus
 * checklist (docs/selection.md), filled from the case file's `selection:`
 * and `patient:` sections and from the pipeline's own numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool set_case_entries(RertError *err, RertAssessment *a)
{
    size_t n = 0;
    const RertCaseSelectionEntry *e = rert_case_selection(a->c, &n);
    for (size_t i = 0; i < n; i++) {
        if (!rert_selection_input_set_text(err, &a->selection, e[i].key,
                                           e[i].value)) {
            rert_error_prefix(err, "%s:%zu: selection", rert_case_name(a->c),
                              e[i].line);
            return false;
        }
    }
    return true;
}

/* A pipeline value that the selection module refuses is a bug here, not
 * the user's: it becomes a warning, the field stays unset. */
static void set_number(RertAssessment *a, const char *key, double v)
{
    RertError e;
    const RertSelectionFieldInfo *f = rert_selection_field_find(key);
    if (f == NULL || !isfinite(v) ||
        !rert_selection_input_set_number(&e, &a->selection, f->field, v)) {
        assess_warn(a, "selection input %s not set (%g)", key, v);
    }
}

static void set_text(RertAssessment *a, const char *key, const char *text)
{
    RertError e;
    if (!rert_selection_input_set_text(&e, &a->selection, key, text)) {
        assess_warn(a, "selection input %s not set: %s", key, e.message);
    }
}

static void patient_fields(RertAssessment *a)
{
    const RertCasePatient *p = rert_case_patient(a->c);
    if (p->has_age) {
        set_number(a, "age_years", (double)p->age_years);
    }
    if (p->ps_scale == RERT_CASE_PS_KPS) {
        set_number(a, "kps", (double)p->ps_value);
    } else if (p->ps_scale == RERT_CASE_PS_ECOG) {
        set_number(a, "ecog", (double)p->ps_value);
    }
    char text[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < p->organ_function_count; i++) {
        int n = snprintf(text + used, sizeof text - used, "%s%s",
                         i > 0 ? "; " : "", p->organ_function[i]);
        if (n < 0 || (size_t)n >= sizeof text - used) {
            break;
        }
        used += (size_t)n;
    }
    if (used > 0) {
        set_text(a, "organ_function", text);
    }
}

/* The cord's Dmax at alpha/beta 2 as BED (Nieder's quantity). */
static const Measure *cord_measure(const RertAssessment *a)
{
    for (size_t i = 0; i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        if (m->roi->organ != NULL && strcmp(m->roi->organ, "SpinalCord") == 0 &&
            m->metric.kind == RERT_DVH_METRIC_MAX &&
            fabs(m->ab_gy - 2.0) < 1e-9) {
            return m;
        }
    }
    return NULL;
}

static void cord_fields(RertAssessment *a)
{
    const Measure *m = cord_measure(a);
    if (m == NULL) {
        return;
    }
    double highest = 0.0;
    for (size_t c = 0; c < a->course_count; c++) {
        if (isfinite(m->per_course[c])) {
            highest = fmax(highest, m->per_course[c]);
        }
    }
    double bed = 0.0;
    if (rert_selection_bed_from_eqd2(NULL, m->cumulative, 2.0, &bed)) {
        set_number(a, "cord_cumulative_bed_gy2", bed);
    }
    if (rert_selection_bed_from_eqd2(NULL, highest, 2.0, &bed)) {
        set_number(a, "cord_highest_course_bed_gy2", bed);
    }
    if (isfinite(a->min_interval_months)) {
        set_number(a, "cord_shortest_interval_months", a->min_interval_months);
    }
}

static void pipeline_fields(RertAssessment *a)
{
    if (isfinite(a->min_interval_months)) {
        set_number(a, "interval_since_prior_rt_months", a->min_interval_months);
    }
    bool all_dose = true;
    char courses[128] = "";
    size_t used = 0;
    for (size_t c = 0; c < a->planned; c++) {
        const Course *k = &a->courses[c];
        all_dose = all_dose && k->has_voxels;
        int n = snprintf(courses + used, sizeof courses - used,
                         "%s%s %.4g Gy/%ld fx", c > 0 ? "; " : "",
                         k->spec->start_date, k->spec->prescription_gy,
                         k->fractions);
        if (n > 0 && (size_t)n < sizeof courses - used) {
            used += (size_t)n;
        }
    }
    set_text(a, "prior_courses", courses);
    set_text(a, "prior_plan_available", all_dose ? "yes" : "no");
    set_text(a, "estro_eortc_class",
             rert_reirradiation_category_name(a->category.category));
    set_text(a, "cumulative_oar_doses_evaluated",
             a->result_count > 0 ? "yes" : "no");
    cord_fields(a);
}

bool assess_selection(RertError *err, RertAssessment *a)
{
    rert_selection_input_init(&a->selection);
    if (!set_case_entries(err, a)) {
        return false;
    }
    patient_fields(a);
    pipeline_fields(a);
    for (size_t i = 0; i < RERT_SCORE_COUNT; i++) {
        if (!rert_score_compute(err, (RertScoreId)i, &a->selection,
                                &a->scores[i])) {
            return false;
        }
    }
    return rert_checklist_fill(err, &a->selection, &a->checklist);
}

/* The body site a score was built for ("cns", "head_neck") or NULL for
 * any site (the cord scores). */
static const char *score_site(RertScoreId id)
{
    switch (id) {
    case RERT_SCORE_PARK_2010:
    case RERT_SCORE_KRAUZE_NCI_2017:
    case RERT_SCORE_COMBS_2013:
    case RERT_SCORE_KESSEL_2017:
        return "cns";
    case RERT_SCORE_MIRI_RPA_2018:
        return "head_neck";
    default:
        return NULL;
    }
}

/* False when the case's treated site (constraints.site) is known and the
 * score was built for another site. */
static bool score_applies(const RertAssessment *a, RertScoreId id)
{
    const char *site = rert_case_constraints(a->c)->site;
    const char *want = score_site(id);
    return want == NULL || site == NULL || strcmp(site, "all") == 0 ||
           strcmp(site, want) == 0;
}

static bool json_score(RertError *err,
                       RertJsonWriter *w,
                       const RertScoreResult *r,
                       bool applies)
{
    const RertScoreDefinition *d = r->definition;
    (void)(rert_json_object_begin(err, w));
    (void)rert_json_write_key_bool(err, w, "applies_to_case", applies);
    (void)(rert_json_write_key_string(err, w, "key", d->key));
    (void)(rert_json_write_key_string(err, w, "title", d->title));
    (void)(rert_json_write_key_string(err, w, "status",
                                      rert_score_status_name(r->status)));
    (void)(rert_json_write_key_number(err, w, "points", r->points));
    (void)(rert_json_write_key_string(err, w, "group", r->group));
    (void)(rert_json_write_key_string(err, w, "outcome", r->outcome));
    (void)(rert_json_write_key_string(err, w, "missing", r->missing));
    (void)(rert_json_write_key_string(err, w, "evidence", d->evidence_tag));
    (void)(rert_json_write_key_string(err, w, "source", d->source));
    (void)(rert_json_write_key_string(err, w, "verification", d->verification));
    (void)(rert_json_write_key_string(err, w, "caveats", d->caveats));
    (void)(rert_json_write_key(err, w, "warnings"));
    (void)(rert_json_array_begin(err, w));
    for (size_t i = 0; i < r->warning_count; i++) {
        (void)(rert_json_write_string(err, w, r->warnings[i]));
    }
    (void)(rert_json_array_end(err, w));
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

bool assess_selection_json(RertError *err,
                           RertJsonWriter *w,
                           const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "selection") &&
           rert_json_object_begin(err, w) &&
           rert_json_write_key(err, w, "scores") &&
           rert_json_array_begin(err, w));
    for (size_t i = 0; i < RERT_SCORE_COUNT; i++) {
        (void)(json_score(err, w, &a->scores[i],
                          score_applies(a, (RertScoreId)i)));
    }
    (void)(rert_json_array_end(err, w));
    (void)(rert_json_write_key(err, w, "checklist"));
    (void)(rert_json_array_begin(err, w));
    for (size_t i = 0; i < a->checklist.entry_count; i++) {
        const RertChecklistEntry *e = &a->checklist.entries[i];
        (void)(rert_json_object_begin(err, w));
        (void)(rert_json_write_key_string(err, w, "id", e->item->id));
        (void)(rert_json_write_key_string(
            err, w, "group", rert_checklist_group_name(e->item->group)));
        (void)(rert_json_write_key_string(err, w, "question",
                                          e->item->question));
        (void)(rert_json_write_key_string(
            err, w, "status", rert_checklist_status_name(e->status)));
        (void)(rert_json_write_key_string(err, w, "value", e->value));
        (void)(rert_json_object_end(err, w));
    }
    (void)(rert_json_array_end(err, w));
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

#define T(s) rert_html_escape_text(err, sb, (s) != NULL ? (s) : "")

static bool score_row(RertError *err, RertStrbuf *sb, const RertScoreResult *r)
{
    return rert_strbuf_puts(err, sb, "<tr><td>") && T(r->definition->title) &&
           rert_strbuf_puts(err, sb, "</td><td>") &&
           T(rert_score_status_name(r->status)) &&
           (isfinite(r->points)
                ? rert_strbuf_printf(err, sb, "</td><td>%g</td><td>", r->points)
                : rert_strbuf_puts(err, sb, "</td><td>-</td><td>")) &&
           T(r->group) && rert_strbuf_puts(err, sb, "</td><td>") &&
           T(r->outcome) && rert_strbuf_puts(err, sb, "</td><td>") &&
           T(r->missing) && rert_strbuf_puts(err, sb, "</td><td>") &&
           T(r->definition->caveats) && rert_strbuf_puts(err, sb, "</td></tr>");
}

/* The checklist text with "=<number> months" shown with 1 decimal. */
static void months_1dp(const char *in, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    while (*in != '\0' && o + 1 < size) {
        char *end = NULL;
        double v = in[0] == '=' ? strtod(in + 1, &end) : 0.0;
        if (end != NULL && end != in + 1 && strncmp(end, " months", 7) == 0 &&
            isfinite(v)) {
            int n = snprintf(out + o, size - o, "=%.1f", v);
            o = n > 0 ? o + (size_t)n : o;
            o = o < size ? o : size - 1;
            in = end;
            continue;
        }
        out[o++] = *in++;
        out[o] = '\0';
    }
}

static bool
checklist_row(RertError *err, RertStrbuf *sb, const RertChecklistEntry *e)
{
    char value[sizeof e->value + 64];
    months_1dp(e->value, value, sizeof value);
    bool answered = e->status != RERT_CHECKLIST_NOT_ASSESSED;
    return rert_strbuf_printf(err, sb, "<tr><td>%s</td><td>", e->item->id) &&
           T(e->item->question) &&
           rert_strbuf_printf(err, sb, "</td><td class=\"%s\">%s</td><td>",
                              answered ? "present" : "missing",
                              rert_checklist_status_name(e->status)) &&
           T(value) && rert_strbuf_puts(err, sb, "</td></tr>");
}

/* One line naming the scores built for another site than the case's. */
static bool
not_applicable_html(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_puts(err, sb,
                               "<p>Not applicable to this case "
                               "(built for another site than ") &&
              T(rert_case_constraints(a->c)->site) &&
              rert_strbuf_puts(err, sb, "): ");
    size_t listed = 0;
    for (size_t i = 0; ok && i < RERT_SCORE_COUNT; i++) {
        if (!score_applies(a, (RertScoreId)i)) {
            ok = rert_strbuf_puts(err, sb, listed++ > 0 ? "; " : "") &&
                 T(a->scores[i].definition->title);
        }
    }
    return ok && rert_strbuf_puts(err, sb, ".</p>");
}

bool assess_selection_html(RertError *err,
                           RertStrbuf *sb,
                           const RertAssessment *a)
{
    bool ok = rert_strbuf_puts(
        err, sb,
        "<section><h2>Patient selection</h2><p>Prognostic scores support "
        "the decision; they do not make it. Scores whose published tables "
        "could not be verified are listed but never computed.</p><table>"
        "<tr><th>score</th><th>status</th><th>points</th><th>group</th>"
        "<th>outcome (source)</th><th>missing inputs</th><th>caveats</th>"
        "</tr>");
    size_t skipped = 0;
    for (size_t i = 0; ok && i < RERT_SCORE_COUNT; i++) {
        if (score_applies(a, (RertScoreId)i)) {
            ok = score_row(err, sb, &a->scores[i]);
        } else {
            skipped++;
        }
    }
    ok = ok && rert_strbuf_puts(err, sb, "</table>");
    if (ok && skipped > 0) {
        ok = not_applicable_html(err, sb, a);
    }
    ok = ok && rert_strbuf_puts(err, sb,
                                "<h3>Decision checklist (consensus "
                                "factors)</h3><table><tr><th>id</th><th>"
                                "question</th><th>status</th><th>value</th>"
                                "</tr>");
    for (size_t i = 0; ok && i < a->checklist.entry_count; i++) {
        ok = checklist_row(err, sb, &a->checklist.entries[i]);
    }
    return ok && rert_strbuf_puts(err, sb, "</table></section>");
}

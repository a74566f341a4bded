/* report.html: one self-contained page (no network), readable on paper:
 * category and why, mandatory reporting items, assumptions, constraint
 * and budget tables, DVH plots (SVG) and dose washes (PNG, inline). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rert/report.h>

#include "internal.h"
#include "rert_config.h"

#define H(call) ok = ok && (call)

static const char *const style =
    "body{font-family:sans-serif;max-width:1100px;margin:auto;color:#111}"
    "table{border-collapse:collapse;margin:8px 0;font-size:13px}"
    "td,th{border:1px solid #999;padding:3px 6px;text-align:left}"
    "th{background:#eee}.fail{background:#f4b6b6}.near_limit{background:"
    "#f7e3a1}.pass{background:#c8ecc8}.missing{background:#f4b6b6}"
    ".present{background:#c8ecc8}.above_observation{background:#f7e3a1}"
    ".box{border:2px solid #333;padding:8px}"
    "img{max-width:100%}figure{display:inline-block;margin:4px}"
    "@media print{section{page-break-inside:avoid}}";

/* Append to a fixed buffer (truncation is harmless: display text). */
static void cat(char *buf, size_t size, const char *fmt, ...) RERT_PRINTF(3, 4);

static void cat(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= size) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

static const char *str_or(const char *s, const char *fallback)
{
    return s != NULL ? s : fallback;
}

static void
item_patient(const RertAssessment *a, size_t item, char *t, size_t size)
{
    const RertCasePatient *p = rert_case_patient(a->c);
    if (item == 0 && p->has_age && p->sex != RERT_CASE_SEX_UNSPECIFIED) {
        cat(t, size, "age %ld years, sex %s", p->age_years,
            rert_case_sex_name(p->sex));
    } else if (item == 1 && p->ps_scale != RERT_CASE_PS_NONE) {
        cat(t, size, "%s %ld",
            p->ps_scale == RERT_CASE_PS_ECOG ? "ECOG" : "KPS", p->ps_value);
    } else if (item == 2) {
        for (size_t i = 0; i < p->organ_function_count; i++) {
            cat(t, size, "%s%s", i > 0 ? "; " : "", p->organ_function[i]);
        }
    }
}

/* Item 6 of one course: technique, intent, dose per fraction. */
static void item_technique(const Course *k, char *t, size_t size)
{
    const RertCaseCourse *s = k->spec;
    cat(t, size, "%s%s: %s, %s", t[0] != '\0' ? "; " : "", s->name,
        str_or(s->technique, "technique not given"),
        rert_case_intent_name(s->intent));
    if (isfinite(s->prescription_gy) && k->fractions > 0) {
        cat(t, size, ", %.1f Gy in %ld fx (%.2f Gy per fraction)",
            s->prescription_gy, k->fractions,
            s->prescription_gy / (double)k->fractions);
    }
    if (s->concurrent_systemic_therapy != NULL) {
        cat(t, size, ", with %s", s->concurrent_systemic_therapy);
    }
}

/* Item 10 of one prior course: toxicity scale and events. */
static void item_toxicity(const Course *k, char *t, size_t size)
{
    const RertCaseCourse *s = k->spec;
    cat(t, size, "%s%s: ", t[0] != '\0' ? "; " : "", s->name);
    if (!s->has_toxicity || s->ctcae_version == NULL) {
        cat(t, size, "not given");
        return;
    }
    cat(t, size, "CTCAE v%s, ", s->ctcae_version);
    for (size_t i = 0; i < s->toxicity_count; i++) {
        const RertCaseToxicityEvent *e = &s->toxicity[i];
        cat(t, size, "%s%s grade %ld (%s)", i > 0 ? ", " : "", e->term,
            e->grade, e->phase == RERT_CASE_TOX_LATE ? "late" : "acute");
    }
    cat(t, size, "%s", s->toxicity_count == 0 ? "no event observed" : "");
}

static void item_course(const Course *k, size_t item, char *t, size_t size)
{
    const RertCaseCourse *s = k->spec;
    if (item == 4) {
        for (size_t i = 0; i < s->target_count; i++) {
            cat(t, size, "%s%s", i > 0 ? ", " : "", s->targets[i]);
        }
    } else if (item == 5) {
        item_technique(k, t, size);
    } else if (item == 9 && !k->is_planned) {
        item_toxicity(k, t, size);
    }
}

const char *assess_organ_metric(size_t i)
{
    static const char *const metrics[] = {"Dmax", "D0.03cc", "D0.1cc",
                                          "D1cc", "D2cc",    "Dmean"};
    return i < sizeof metrics / sizeof metrics[0] ? metrics[i] : NULL;
}

const Measure *assess_find_measure(const RertAssessment *a,
                                   const Roi *roi,
                                   const char *metric,
                                   double ab_gy)
{
    for (size_t i = 0; i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        if (m->roi == roi && fabs(m->ab_gy - ab_gy) < 1e-9 &&
            strcmp(m->metric.name, metric) == 0) {
            return m;
        }
    }
    return NULL;
}

size_t assess_organ_row_count(const RertAssessment *a)
{
    size_t rows = 0;
    for (size_t r = 0; r < a->roi_count; r++) {
        const Roi *roi = &a->rois[r];
        for (size_t i = 0; !roi->is_target && assess_organ_metric(i); i++) {
            const Measure *m =
                assess_find_measure(a, roi, assess_organ_metric(i), roi->ab_gy);
            if (m != NULL && isfinite(m->cumulative)) {
                rows++;
                break;
            }
        }
    }
    return rows;
}

static void item_method(const RertAssessment *a, char *t, size_t size)
{
    const RertSummationLevelInfo *li = rert_summation_level_info(a->level);
    cat(t, size, "%s: %s", li->key, li->description);
    for (size_t c = 0; c < a->course_count; c++) {
        const Course *k = &a->courses[c];
        if (!k->is_planned) {
            cat(t, size, "; %s mapped by %s", k->spec->name,
                k->has_voxels ? k->registration : "(no voxel dose)");
        }
    }
    const RertCaseReporting *rep = rert_case_reporting(a->c);
    cat(t, size, "; imaging used: ");
    for (size_t i = 0; i < rep->imaging_count; i++) {
        cat(t, size, "%s%s", i > 0 ? ", " : "", rep->imaging[i]);
    }
    cat(t, size, "%s", rep->imaging_count == 0 ? "not given" : "");
}

void assess_report_item_text(const RertAssessment *a,
                             size_t item,
                             char *t,
                             size_t size)
{
    t[0] = '\0';
    if (item <= 2) {
        item_patient(a, item, t, size);
    } else if (item == 3) {
        cat(t, size, "%s; recurrence: %s",
            rert_reirradiation_category_name(a->category.category),
            rert_case_recurrence_name(rert_case_reporting(a->c)->recurrence));
    } else if (item == 4) {
        item_course(&a->courses[a->planned], item, t, size);
    } else if (item == 5 || item == 9) {
        for (size_t c = 0; c < a->course_count; c++) {
            item_course(&a->courses[c], item, t, size);
        }
    } else if (item == 6) {
        for (size_t c = 0; c < a->course_count; c++) {
            const Course *k = &a->courses[c];
            if (!k->is_planned && isfinite(k->interval_months)) {
                cat(t, size, "%s%s: %.1f months", t[0] != '\0' ? "; " : "",
                    k->spec->name, k->interval_months);
            }
        }
    } else if (item == 7) {
        cat(t, size, "%zu organs in the table 'Cumulative organ doses'",
            assess_organ_row_count(a));
    } else {
        item_method(a, t, size);
    }
}

bool assess_report_items(const RertAssessment *a, bool present[10])
{
    const RertCasePatient *p = rert_case_patient(a->c);
    const RertCaseCourse *pl = a->courses[a->planned].spec;
    bool has_tox = true;
    for (size_t c = 0; c < a->planned; c++) {
        has_tox = has_tox && a->courses[c].spec->has_toxicity &&
                  a->courses[c].spec->ctcae_version != NULL;
    }
    present[0] = p->has_age && p->sex != RERT_CASE_SEX_UNSPECIFIED;
    present[1] = p->ps_scale != RERT_CASE_PS_NONE;
    present[2] = p->organ_function_count > 0;
    present[3] = a->category.category != RERT_CATEGORY_UNDETERMINED &&
                 rert_case_reporting(a->c)->recurrence !=
                     RERT_CASE_RECURRENCE_UNSPECIFIED;
    present[4] = pl->target_count > 0;
    present[5] = pl->technique != NULL && isfinite(pl->prescription_gy) &&
                 a->courses[a->planned].fractions > 0;
    present[6] = isfinite(a->min_interval_months);
    present[7] = assess_organ_row_count(a) > 0;
    present[8] = a->level != RERT_SUMMATION_L0 &&
                 rert_case_reporting(a->c)->imaging_count > 0;
    present[9] = has_tox;
    return true;
}

static bool text(RertError *err, RertStrbuf *sb, const char *s)
{
    return rert_html_escape_text(err, sb, s != NULL ? s : "");
}

static bool cell(RertError *err, RertStrbuf *sb, const char *s)
{
    return rert_strbuf_puts(err, sb, "<td>") && text(err, sb, s) &&
           rert_strbuf_puts(err, sb, "</td>");
}

static bool num(RertError *err, RertStrbuf *sb, double v, int decimals)
{
    if (!isfinite(v)) {
        return rert_strbuf_puts(err, sb, "<td>-</td>");
    }
    return rert_strbuf_printf(err, sb, "<td>%.*f</td>", decimals, v);
}

static bool items(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    static const char *const names[10] = {"1 Demographics",
                                          "2 Performance status",
                                          "3 Organ function",
                                          "4 Recurrence classification",
                                          "5 Target volume",
                                          "6 Technique and dose",
                                          "7 Interval since RT1",
                                          "8 Cumulative OAR doses",
                                          "9 Method for dose summation",
                                          "10 Toxicity (CTCAE)"};
    bool present[10];
    (void)assess_report_items(a, present);
    bool ok = rert_strbuf_puts(
        err, sb,
        "<section><h2>ESTRO-EORTC mandatory reporting items</h2><table>"
        "<tr><th>item</th><th>status</th><th>content (from the case file "
        "and the assessment)</th></tr>");
    char t[2048];
    for (size_t i = 0; i < 10; i++) {
        assess_report_item_text(a, i, t, sizeof t);
        H(rert_strbuf_printf(err, sb, "<tr><td>%s</td><td class=\"%s\">%s</td>",
                             names[i], present[i] ? "present" : "missing",
                             present[i] ? "present" : "MISSING"));
        H(cell(err, sb, t));
        H(rert_strbuf_puts(err, sb, "</tr>"));
    }
    return ok && rert_strbuf_puts(err, sb, "</table></section>");
}

static bool answer_cell(RertError *err, RertStrbuf *sb, const RertAnswer *q)
{
    static const char *const values[] = {"unknown", "no", "yes"};
    char t[320];
    (void)snprintf(t, sizeof t, "%s (%s)%s%s", values[q->value],
                   rert_answer_source_name(q->source),
                   q->note != NULL ? ": " : "", q->note != NULL ? q->note : "");
    return cell(err, sb, t);
}

static bool category(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok =
        rert_strbuf_puts(err, sb, "<section class=\"box\"><h2>Category: ");
    H(text(err, sb, rert_reirradiation_category_name(a->category.category)));
    H(rert_strbuf_puts(err, sb, "</h2><p>"));
    H(text(err, sb,
           rert_reirradiation_category_description(a->category.category)));
    H(rert_strbuf_puts(err, sb, "</p><p>"));
    H(text(err, sb, a->summary));
    H(rert_strbuf_puts(err, sb,
                       "</p><table><tr><th>earlier course</th><th>Q1 "
                       "overlap of irradiated volumes</th><th>Q2 "
                       "cumulative toxicity concern</th><th>Q3 "
                       "target in the same organ</th></tr>"));
    for (size_t i = 0; ok && i + 1 < a->course_count; i++) {
        const RertClassifyCourse *q = &a->answers[i];
        H(rert_strbuf_puts(err, sb, "<tr>"));
        H(cell(err, sb, q->course_name));
        H(answer_cell(err, sb, &q->overlap));
        H(answer_cell(err, sb, &q->cumulative_concern));
        H(answer_cell(err, sb, &q->same_organ));
        H(rert_strbuf_puts(err, sb, "</tr>"));
    }
    H(rert_strbuf_puts(err, sb, "</table>"));
    if (a->has_overlap) {
        H(rert_strbuf_printf(
            err, sb,
            "<p>Overlap judged at %.1f Gy EQD2 on each course's "
            "EQD2 map with the per-ROI alpha/beta (each "
            "structure its own, the default elsewhere; "
            "source: ",
            a->overlap.threshold_gy));
        H(text(err, sb, a->overlap.threshold_source));
        H(rert_strbuf_printf(err, sb,
                             "): overlap %.2f cc, of which %.2f cc inside the "
                             "planned target.</p>",
                             a->overlap.overlap_cc,
                             a->overlap.target_overlap_cc));
    }
    return ok && rert_strbuf_puts(err, sb, "</section>");
}

static bool course_row(RertError *err, RertStrbuf *sb, const Course *k)
{
    return rert_strbuf_puts(err, sb, "<tr>") && cell(err, sb, k->spec->name) &&
           cell(err, sb, rert_case_role_name(k->spec->role)) &&
           cell(err, sb, k->spec->start_date) &&
           cell(err, sb, k->spec->end_date) &&
           cell(err, sb, rert_case_modality_name(k->spec->modality)) &&
           num(err, sb, k->spec->prescription_gy, 1) &&
           rert_strbuf_printf(err, sb, "<td>%ld</td>", k->fractions) &&
           num(err, sb, k->interval_months, 1) && cell(err, sb, k->rbe_note) &&
           cell(err, sb,
                k->has_voxels ? k->ab_note
                              : "DVH-level entries (L1, low confidence)") &&
           cell(err, sb, k->registration) && rert_strbuf_puts(err, sb, "</tr>");
}

/* The recovery model applied to @p roi: name, r, source and evidence,
 * and the convention its source states (docs/evaluation.md). */
void assess_recovery_text(const RertAssessment *a,
                          const Roi *roi,
                          char *t,
                          size_t size)
{
    t[0] = '\0';
    const RertCaseRecovery *rec = rert_case_recovery(a->c);
    if (!rec->is_given) {
        cat(t, size, "none in the case file (r = 0)");
        return;
    }
    const RertCaseRecoveryModel *m = rert_case_recovery_for(
        a->c, roi->organ != NULL ? roi->organ : roi->name);
    cat(t, size, "%s%s: %s", m->organ != NULL ? "organ " : "default",
        m->organ != NULL ? m->organ : "",
        rert_case_recovery_kind_name(m->kind));
    if (m->kind == RERT_CASE_RECOVERY_PUBLISHED) {
        const RertRecoveryModel *p =
            rert_recovery_model_find(m->published_name);
        if (p != NULL) {
            static const char *const under[] = {"unstated", "A", "B"};
            cat(t, size,
                " '%s' [%s], source: %s; the source states it under "
                "convention %s, applied here under %s",
                p->name, p->evidence_tag, p->source, under[p->defined_under],
                a->convention);
        }
    } else if (m->kind == RERT_CASE_RECOVERY_FIXED) {
        cat(t, size, " r = %.2f", m->recovery_frac);
    }
    if (m->source != NULL) {
        cat(t, size, "; case file source: %s", m->source);
    }
}

static bool
roi_row(RertError *err, RertStrbuf *sb, const RertAssessment *a, const Roi *roi)
{
    bool ok = rert_strbuf_puts(err, sb, "<tr>") && cell(err, sb, roi->name) &&
              cell(err, sb, roi->organ != NULL ? roi->organ : "(no match)") &&
              num(err, sb, roi->volume_cc, 2) && num(err, sb, roi->ab_gy, 2) &&
              rert_strbuf_puts(err, sb, "<td>");
    for (size_t c = 0; ok && c < a->course_count; c++) {
        ok = rert_strbuf_printf(err, sb, "%s%.2f", c > 0 ? " / " : "",
                                roi->recovery[c]);
    }
    char t[1024];
    assess_recovery_text(a, roi, t, sizeof t);
    return ok && rert_strbuf_puts(err, sb, "</td>") && cell(err, sb, t) &&
           rert_strbuf_puts(err, sb, "</tr>");
}

static bool courses(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_puts(
        err, sb,
        "<section><h2>Courses and assumptions</h2><table><tr><th>course</th>"
        "<th>role</th><th>start</th><th>end</th><th>modality</th><th>Rx "
        "Gy</th><th>fx</th><th>interval (months)</th><th>RBE</th><th>EQD2 "
        "conversion</th><th>mapping to the planned anatomy</th></tr>");
    for (size_t c = 0; ok && c < a->course_count; c++) {
        ok = course_row(err, sb, &a->courses[c]);
    }
    ok = ok &&
         rert_strbuf_printf(
             err, sb,
             "</table><p>Model: %s, each course converted voxel by voxel with "
             "its own fractions before summing. Default alpha/beta %.2f Gy. "
             "Recovery convention %s. A voxel belongs to a structure when at "
             "least half of it lies inside. Near-limit band: within %.0f %% "
             "below a limit (our choice [P]).</p>",
             rert_case_alpha_beta(a->c)->is_lql
                 ? "linear-quadratic-linear (Astrahan 2008; dT in the case "
                   "file)"
                 : "linear-quadratic",
             rert_case_alpha_beta(a->c)->default_gy, a->convention,
             100.0 * RERT_CONSTRAINT_DEFAULT_NEAR_FRAC) &&
         rert_strbuf_puts(err, sb, "<p>Alpha/beta source (case file): ") &&
         text(err, sb,
              str_or(rert_case_alpha_beta(a->c)->source, "not given")) &&
         rert_strbuf_puts(err, sb, ". Summation: ") &&
         text(err, sb, rert_summation_level_info(a->level)->key) &&
         rert_strbuf_puts(err, sb, " - ") &&
         text(err, sb, rert_summation_level_info(a->level)->description) &&
         rert_strbuf_puts(err, sb, "</p>") &&
         rert_strbuf_puts(err, sb,
                          "<table><tr><th>structure</th><th>organ</th>"
                          "<th>volume cc</th><th>alpha/beta Gy</th>"
                          "<th>recovery r per course</th><th>recovery "
                          "model</th></tr>");
    for (size_t r = 0; ok && r < a->roi_count; r++) {
        ok = roi_row(err, sb, a, &a->rois[r]);
    }
    return ok && rert_strbuf_puts(err, sb, "</table></section>");
}

static bool
constraint_row(RertError *err, RertStrbuf *sb, const RertConstraintResult *r)
{
    const RertConstraint *c = r->constraint;
    const char *status = rert_constraint_status_name(r->status);
    bool ok = rert_strbuf_puts(err, sb, "<tr>") &&
              cell(err, sb, r->roi_name[0] != '\0' ? r->roi_name : c->organ) &&
              cell(err, sb, c->metric) &&
              cell(err, sb, rert_constraint_scope_name(c->scope)) &&
              num(err, sb, r->limit, 2) &&
              cell(err, sb, rert_constraint_unit_name(c->unit)) &&
              num(err, sb, c->alpha_beta_gy, 1) && num(err, sb, r->value, 2) &&
              num(err, sb, r->margin, 2) &&
              num(err, sb, r->margin_eqd2_gy, 2) &&
              num(err, sb, r->margin_pct, 1) &&
              rert_strbuf_printf(err, sb, "<td class=\"%s\">%s</td>", status,
                                 status) &&
              cell(err, sb, rert_evidence_tag_name(c->evidence)) &&
              rert_strbuf_puts(err, sb, "<td>") && text(err, sb, c->source);
    if (ok && c->site != NULL && strcmp(c->site, "any") != 0) {
        ok = rert_strbuf_puts(err, sb, "<br>site: ") && text(err, sb, c->site);
    }
    if (ok && c->condition != NULL && c->condition[0] != '\0') {
        ok = rert_strbuf_puts(err, sb, "<br>condition: ") &&
             text(err, sb, c->condition);
    }
    if (ok && c->is_observation) {
        ok = rert_strbuf_puts(err, sb,
                              "<br>an observation of the source, not a limit");
    }
    if (ok && r->message[0] != '\0') {
        ok = rert_strbuf_puts(err, sb, "<br><i>") &&
             text(err, sb, r->message) && rert_strbuf_puts(err, sb, "</i>");
    }
    return ok && rert_strbuf_puts(err, sb, "</td></tr>");
}

static bool constraints(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_puts(
        err, sb,
        "<section><h2>Cumulative constraints</h2><table><tr><th>structure"
        "</th><th>metric</th><th>scope</th><th>limit</th><th>unit</th><th>"
        "a/b</th><th>value (limit unit)</th><th>margin (limit unit)</th>"
        "<th>margin (Gy EQD2)</th><th>margin %</th>"
        "<th>status</th><th>evidence</th><th>source</th></tr>");
    for (size_t i = 0; ok && i < a->result_count; i++) {
        if (a->results[i].status != RERT_CONSTRAINT_NOT_EVALUATED) {
            ok = constraint_row(err, sb, &a->results[i]);
        }
    }
    ok = ok && rert_strbuf_puts(err, sb,
                                "</table><p>Not evaluated (organ not "
                                "contoured or not matched by name): ");
    size_t listed = 0;
    for (size_t i = 0; ok && i < a->result_count; i++) {
        if (a->results[i].status == RERT_CONSTRAINT_NOT_EVALUATED) {
            ok = rert_strbuf_puts(err, sb, listed++ > 0 ? ", " : "") &&
                 text(err, sb, a->results[i].constraint->id);
        }
    }
    return ok && rert_strbuf_puts(err, sb,
                                  listed > 0 ? ".</p></section>"
                                             : "none.</p></section>");
}

static bool organ_rows(RertError *err,
                       RertStrbuf *sb,
                       const RertAssessment *a,
                       const Roi *roi)
{
    bool ok = true;
    bool first = true;
    for (size_t i = 0; ok && assess_organ_metric(i) != NULL; i++) {
        const Measure *m =
            assess_find_measure(a, roi, assess_organ_metric(i), roi->ab_gy);
        if (m == NULL || !isfinite(m->cumulative)) {
            continue;
        }
        H(rert_strbuf_puts(err, sb, "<tr>"));
        H(cell(err, sb, first ? roi->name : ""));
        H(cell(err, sb, first ? roi->organ : ""));
        H(first ? num(err, sb, roi->ab_gy, 1) : cell(err, sb, ""));
        H(cell(err, sb, m->metric.name));
        H(num(err, sb, m->prior, 2));
        H(num(err, sb, m->prior_discounted, 2));
        H(num(err, sb, m->per_course[a->planned], 2));
        H(num(err, sb, m->cumulative, 2));
        H(num(err, sb, m->cumulative_discounted, 2));
        H(rert_strbuf_puts(err, sb, "</tr>"));
        first = false;
    }
    return ok;
}

/* Reporting item 8: cumulative doses of every organ ROI (not targets),
 * constrained or not, at the organ's own alpha/beta. */
static bool organs(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_puts(
        err, sb,
        "<section><h2>Cumulative organ doses</h2><p>Every organ structure "
        "of the planned course, with or without a library constraint; EQD2 "
        "(Gy) at the organ's alpha/beta. Prior discounted: recovery r "
        "applied to the prior courses (convention A).</p><table><tr><th>"
        "structure</th><th>organ</th><th>a/b Gy</th><th>metric</th><th>"
        "prior</th><th>prior discounted</th><th>planned</th><th>cumulative"
        "</th><th>cumulative discounted</th></tr>");
    for (size_t r = 0; ok && r < a->roi_count; r++) {
        if (!a->rois[r].is_target) {
            ok = organ_rows(err, sb, a, &a->rois[r]);
        }
    }
    return ok && rert_strbuf_puts(err, sb, "</table></section>");
}

static bool budget(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_printf(
        err, sb,
        "<section><h2>Remaining budget for the planned %ld fractions</h2>"
        "<table><tr><th>structure</th><th>metric</th><th>constraint</th>"
        "<th>basis</th><th>allowed EQD2</th><th>prior EQD2</th><th>remaining "
        "EQD2</th><th>"
        "max total physical Gy</th><th>max Gy per fraction</th><th>max total, "
        "uncertainty band</th></tr>",
        a->courses[a->planned].fractions);
    for (size_t i = 0; ok && i < a->budget_count; i++) {
        const Budget *b = &a->budgets[i];
        H(rert_strbuf_printf(err, sb, "<tr class=\"%s\">",
                             b->result.has_budget ? "" : "fail"));
        H(cell(err, sb, b->roi->name));
        H(cell(err, sb, b->constraint->metric));
        H(cell(err, sb, b->constraint->id));
        H(cell(err, sb, b->basis));
        H(num(err, sb, b->result.allowed_eqd2_gy, 2));
        H(num(err, sb, b->prior_eqd2_gy, 2));
        H(num(err, sb, b->result.remaining_eqd2_gy, 2));
        H(num(err, sb, b->result.max_dose.total_dose_gy, 2));
        H(num(err, sb, b->result.max_dose.dose_per_fraction_gy, 3));
        H(num(err, sb,
              b->has_band ? b->band.max_dose.total_dose_gy : (double)NAN, 2));
        H(rert_strbuf_puts(err, sb, "</tr>"));
    }
    H(rert_strbuf_printf(
        err, sb,
        "</table><p>Voxel map (budget_%ldfx.dcm): the maximum physical dose "
        "per voxel in the planned fractions, the lowest over the organs "
        "containing the voxel (near-maximum limits); %.0f Gy marks voxels in "
        "no constrained organ.</p></section>",
        a->courses[a->planned].fractions,
        RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY));
    return ok;
}

static bool warnings(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_puts(err, sb, "<section><h2>Warnings</h2><pre>");
    H(text(err, sb, a->warnings.data != NULL ? a->warnings.data : "none\n"));
    H(rert_strbuf_puts(err, sb, "</pre></section>"));
    H(rert_strbuf_puts(err, sb, "<footer><p>rert " RERT_VERSION " - "));
    H(text(err, sb, a->options.command_line));
    H(rert_strbuf_puts(err, sb,
                       ". Decision support for qualified medical physicists; "
                       "not a medical device. Every number needs clinical "
                       "review.</p></footer>"));
    return ok;
}

bool assess_write_html(RertError *err, const RertAssessment *a, const char *dir)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, (size_t)256 << 20);
    const RertCasePatient *p = rert_case_patient(a->c);
    bool ok = rert_strbuf_printf(
        err, &sb,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>rert reirradiation assessment</title><style>%s</style>"
        "</head><body><h1>Reirradiation assessment - patient ",
        style);
    H(text(err, &sb, p->id));
    H(rert_strbuf_puts(err, &sb, "</h1><p>Case file: "));
    H(text(err, &sb, rert_case_name(a->c)));
    H(rert_strbuf_puts(err, &sb, "</p>"));
    H(category(err, &sb, a));
    H(items(err, &sb, a));
    H(courses(err, &sb, a));
    H(constraints(err, &sb, a));
    H(organs(err, &sb, a));
    H(budget(err, &sb, a));
    H(assess_selection_html(err, &sb, a));
    H(assess_agreement_html(err, &sb, a));
    H(assess_html_figures(err, &sb, a));
    H(warnings(err, &sb, a));
    H(rert_strbuf_puts(err, &sb, "</body></html>\n"));
    char path[4096];
    ok = ok && assess_path(err, path, sizeof path, dir, "report.html") &&
         rert_file_save_atomic(err, path, sb.data, sb.len);
    rert_strbuf_clear(&sb);
    return ok;
}

/* report.html: one self-contained page (no network), readable on paper:
 * category and why, mandatory reporting items, assumptions, constraint
 * and budget tables, DVH plots (SVG) and dose washes (PNG, inline). */
#include <math.h>
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
    ".present{background:#c8ecc8}.box{border:2px solid #333;padding:8px}"
    "img{max-width:100%}figure{display:inline-block;margin:4px}"
    "@media print{section{page-break-inside:avoid}}";

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
    present[7] = a->result_count > 0;
    present[8] = true;
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
        "<tr><th>item</th><th>status</th></tr>");
    for (size_t i = 0; i < 10; i++) {
        H(rert_strbuf_printf(err, sb,
                             "<tr><td>%s</td><td class=\"%s\">%s</td></tr>",
                             names[i], present[i] ? "present" : "missing",
                             present[i] ? "present" : "MISSING"));
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
        H(rert_strbuf_printf(err, sb,
                             "<p>Overlap judged at %.1f Gy EQD2 (source: ",
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
    return ok && rert_strbuf_puts(err, sb, "</td></tr>");
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
         rert_strbuf_puts(err, sb,
                          "<table><tr><th>structure</th><th>organ</th>"
                          "<th>volume cc</th><th>alpha/beta Gy</th>"
                          "<th>recovery r per course</th></tr>");
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
              num(err, sb, r->margin_eqd2_gy, 2) &&
              num(err, sb, r->margin_pct, 1) &&
              rert_strbuf_printf(err, sb, "<td class=\"%s\">%s</td>", status,
                                 status) &&
              cell(err, sb, rert_evidence_tag_name(c->evidence)) &&
              rert_strbuf_puts(err, sb, "<td>") && text(err, sb, c->source);
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
        "a/b</th><th>value</th><th>margin (EQD2 Gy)</th><th>margin %</th>"
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

/* Prognostic and risk scores for reirradiation as data: factors, bands,
 * points, groups, outcome figures, sources, evidence tags and what was
 * verified where (docs/selection.md). Scores whose point values or class
 * rules could not be verified against the source carry no tables. */
#include <math.h>

#include <rert/selection.h>

#define INF HUGE_VAL
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Park JK et al. J Clin Oncol 2010;28:3838-3843 (re-operation) */

static const RertScoreBand park_eloquent[] = {
    {1.0, 1.0, true, true, 1.0, "eloquent/critical location"},
    {0.0, 0.0, true, true, 0.0, "not eloquent/critical"},
};
static const RertScoreBand park_kps[] = {
    {0.0, 80.0, true, true, 1.0, "KPS <= 80"},
    {80.0, 100.0, false, true, 0.0, "KPS > 80"},
};
static const RertScoreBand park_volume[] = {
    {50.0, INF, true, false, 1.0, "tumour volume >= 50 cm3"},
    {0.0, 50.0, true, false, 0.0, "tumour volume < 50 cm3"},
};
static const RertScoreFactor park_factors[] = {
    {"eloquent/critical location", RERT_SEL_ELOQUENT_LOCATION, 0, park_eloquent,
     COUNT(park_eloquent), false, RERT_SEL_FIELD_COUNT, 0.0, NULL},
    {"KPS", RERT_SEL_KPS, 0, park_kps, COUNT(park_kps), false,
     RERT_SEL_FIELD_COUNT, 0.0, NULL},
    {"tumour volume", RERT_SEL_RECURRENCE_VOLUME_CC, 0, park_volume,
     COUNT(park_volume), false, RERT_SEL_FIELD_COUNT, 0.0, NULL},
};
static const RertScoreSubtotalDef park_subtotals[] = {{"total", 0x1u}};
static const RertScoreGroup park_groups[] = {
    {0.0, 0.0, "good",
     "median survival after re-operation 10.8 months (derivation, n = 34); "
     "9.2 months (validation, n = 109)"},
    {1.0, 2.0, "intermediate",
     "median survival 4.5 months (derivation); 6.3 months (validation)"},
    {3.0, 3.0, "poor",
     "median survival 1.0 month (derivation); 1.9 months (validation)"},
};

/* ---- Krauze AV et al. Radiat Oncol 2017;12:191 (NCI score), Table 1 */

static const RertScoreBand nci_age[] = {
    {60.0, INF, false, false, 1.0, "> 60 years"},
    {50.0, 60.0, true, true, 2.0, "50-60 years"},
    {0.0, 50.0, true, false, 3.0, "< 50 years"},
};
static const RertScoreBand nci_kps[] = {
    {0.0, 50.0, true, false, 1.0, "KPS < 50 %"},
    {50.0, 70.0, true, true, 2.0, "KPS 50-70 %"},
    {70.0, 100.0, false, true, 3.0, "KPS > 70 %"},
};
static const RertScoreBand nci_grade[] = {
    {4.0, 4.0, true, true, 1.0, "WHO grade IV"},
    {3.0, 3.0, true, true, 2.0, "WHO grade III"},
    {2.0, 2.0, true, true, 3.0, "WHO grade II"},
};
/* neuro_symptoms choice index: 0 none, 1 present, 2 steroids */
static const RertScoreBand nci_symptoms[] = {
    {2.0, 2.0, true, true, 1.0,
     "neurological symptoms of the recurrence needing steroids"},
    {1.0, 1.0, true, true, 2.0,
     "neurological symptoms of the recurrence, or impending"},
    {0.0, 0.0, true, true, 3.0, "no neurological symptoms of the recurrence"},
};
static const RertScoreBand nci_gtv[] = {
    {500.0, INF, false, false, 1.0, "GTV > 500 cm3"},
    {20.0, 500.0, true, true, 2.0, "GTV 20-500 cm3"},
    {0.0, 20.0, true, false, 3.0, "GTV < 20 cm3"},
};
static const RertScoreBand nci_location[] = {
    {0.0, 1.0, true, false, 1.0,
     "< 1 cm away from or within the original 60 Gy isodose"},
    {1.0, 3.0, true, true, 2.0, "1-3 cm away from the 60 Gy isodose"},
    {3.0, INF, false, false, 3.0, "> 3 cm away from the 60 Gy isodose"},
};
/* diffuse_disease choice index: 0 none, 1 t2_flair, 2 multiple_t1 */
static const RertScoreBand nci_diffuse[] = {
    {2.0, 2.0, true, true, 1.0, "multiple T1 gadolinium-enhancing lesions"},
    {1.0, 1.0, true, true, 2.0, "T2/FLAIR diffuse involvement"},
    {0.0, 0.0, true, true, 3.0, "none (localised recurrence only)"},
};
static const RertScoreBand nci_oar_location[] = {
    {0.0, 1.0, true, false, 1.0,
     "OAR < 1 cm from or in the recurrence area (printed: '>1 cm away "
     "from or in the recurrence area')"},
    {1.0, 3.0, true, true, 2.0, "OAR 1-3 cm from the recurrence area"},
    {3.0, INF, false, false, 3.0, "OAR > 3 cm from the recurrence area"},
};
static const RertScoreBand nci_oar_dose[] = {
    {0.0, 90.0, true, false, 1.0, "< 90 % of the QUANTEC limit"},
    {90.0, 110.0, true, true, 2.0, "within +/- 10 % of the QUANTEC limit"},
    {110.0, INF, false, false, 3.0, "> 10 % over the QUANTEC limit"},
};
static const RertScoreBand nci_dfi[] = {
    {0.0, 12.0, true, false, 1.0, "disease-free interval < 1 year"},
    {12.0, 36.0, true, true, 2.0, "disease-free interval 1-3 years"},
    {36.0, INF, false, false, 3.0, "disease-free interval > 3 years"},
};
#define NO_OVERRIDE false, RERT_SEL_FIELD_COUNT, 0.0, NULL
static const RertScoreFactor nci_factors[] = {
    {"age", RERT_SEL_AGE_YEARS, 0, nci_age, COUNT(nci_age), NO_OVERRIDE},
    {"KPS", RERT_SEL_KPS, 0, nci_kps, COUNT(nci_kps), NO_OVERRIDE},
    {"histology (WHO grade)", RERT_SEL_WHO_GRADE, 0, nci_grade,
     COUNT(nci_grade), NO_OVERRIDE},
    {"presence of symptoms", RERT_SEL_NEURO_SYMPTOMS, 0, nci_symptoms,
     COUNT(nci_symptoms), NO_OVERRIDE},
    {"tumour size (GTV)", RERT_SEL_RECURRENCE_VOLUME_CC, 1, nci_gtv,
     COUNT(nci_gtv), true, RERT_SEL_GLIOMATOSIS, 1.0,
     "diffuse disease / gliomatosis"},
    {"recurrence location vs original 60 Gy isodose",
     RERT_SEL_DISTANCE_TO_60GY_CM, 1, nci_location, COUNT(nci_location),
     NO_OVERRIDE},
    {"diffuse disease present", RERT_SEL_DIFFUSE_DISEASE, 1, nci_diffuse,
     COUNT(nci_diffuse), NO_OVERRIDE},
    {"OAR location vs recurrence area", RERT_SEL_OAR_DISTANCE_CM, 2,
     nci_oar_location, COUNT(nci_oar_location), NO_OVERRIDE},
    {"OAR dose from the original treatment", RERT_SEL_OAR_RT1_DOSE_PCT_QUANTEC,
     2, nci_oar_dose, COUNT(nci_oar_dose), NO_OVERRIDE},
    {"disease-free interval from the first radiotherapy",
     RERT_SEL_DISEASE_FREE_INTERVAL_MONTHS, 2, nci_dfi, COUNT(nci_dfi),
     NO_OVERRIDE},
};
static const RertScoreSubtotalDef nci_subtotals[] = {
    {"independent_factors", 0x1u},
    {"target_control", 0x2u},
    {"anticipated_toxicity_risk", 0x4u},
    {"independent_plus_target_control", 0x3u},
};

/* ---- Nieder C et al. IJROBP 2006;66:1446-1449 (cord reirradiation) */

static const RertScoreBand nieder_interval[] = {
    {6.0, INF, true, false, 0.0, "interval >= 6 months"},
    {0.0, 6.0, true, false, RERT_SCORE_RULE_FAIL, "interval < 6 months"},
};
static const RertScoreBand nieder_course[] = {
    {0.0, 98.0, true, true, 0.0, "every course <= 98 Gy2"},
    {98.0, INF, false, false, RERT_SCORE_RULE_FAIL, "a course > 98 Gy2"},
};
static const RertScoreBand nieder_cumulative[] = {
    {0.0, 120.0, true, true, 0.0, "cumulative <= 120 Gy2"},
    {120.0, 135.5, false, true, 1.0, "cumulative 120-135.5 Gy2"},
    {135.5, INF, false, false, RERT_SCORE_RULE_FAIL, "cumulative > 135.5 Gy2"},
};
static const RertScoreFactor nieder_factors[] = {
    {"interval between courses", RERT_SEL_CORD_SHORTEST_INTERVAL_MONTHS, 0,
     nieder_interval, COUNT(nieder_interval), NO_OVERRIDE},
    {"highest single-course cord BED", RERT_SEL_CORD_HIGHEST_COURSE_BED_GY2, 0,
     nieder_course, COUNT(nieder_course), NO_OVERRIDE},
    {"cumulative cord BED", RERT_SEL_CORD_CUMULATIVE_BED_GY2, 0,
     nieder_cumulative, COUNT(nieder_cumulative), NO_OVERRIDE},
};
static const RertScoreSubtotalDef nieder_subtotals[] = {{"rule", 0x1u}};
static const RertScoreGroup nieder_groups[] = {
    {0.0, 0.0, "within Nieder 2006 conditions, cumulative <= 120 Gy2",
     "no case of radiation myelopathy reported in the pooled data with an "
     "interval >= 6 months and every course <= 98 Gy2"},
    {1.0, 1.0, "within Nieder 2006 conditions, cumulative <= 135.5 Gy2",
     "risk of radiation myelopathy appears small (interval >= 6 months, "
     "every course <= 98 Gy2)"},
    {RERT_SCORE_RULE_FAIL, INF, "outside the Nieder 2006 low-risk conditions",
     "no low-risk statement of Nieder 2006 applies. This is not the "
     "'high-risk' group of the 2005 points score, which is not implemented "
     "(its weights are unverified)"},
};

static const RertScoreDefinition definitions[RERT_SCORE_COUNT] = {
    [RERT_SCORE_PARK_2010] =
        {
            .id = RERT_SCORE_PARK_2010,
            .key = "park-2010",
            .title = "Recurrent glioblastoma re-operation scale (NIH scale)",
            .kind = RERT_SCORE_KIND_POINTS,
            .source = "Park JK, Hodges T, Arko L, et al. Scale to predict "
                      "survival after surgery for recurrent glioblastoma "
                      "multiforme. J Clin Oncol 2010;28(24):3838-3843; "
                      "PMC2940401, PMID 20644085",
            .evidence_tag = "V",
            .verification =
                "Factors, cut-offs (eloquent/critical location, KPS <= 80, "
                "volume >= 50 cm3), one point each, groups 0 / 1-2 / 3 and the "
                "median survivals read from the abstract (PMC2940401). The "
                "list "
                "of prespecified eloquent/critical regions is in the full text "
                "and was not re-checked: the user answers that question.",
            .caveats =
                "Predicts survival after re-operation for recurrent GBM, not "
                "after reirradiation; derived from 34 patients and validated "
                "in "
                "109 from the same paper. In 25 patients operated and then "
                "reirradiated (Lee J et al. Yonsei Med J 2018;59:194-201) OS "
                "differed between the NIH Recurrent GBM Scale risk groups "
                "(p = 0.025) [V abstract].",
            .outcome_summary = "additive scale 0-3; median survival 10.8 / 4.5 "
                               "/ 1.0 months (good / intermediate / poor), "
                               "validation 9.2 / 6.3 / 1.9 months",
            .factors = park_factors,
            .factor_count = COUNT(park_factors),
            .subtotals = park_subtotals,
            .subtotal_count = COUNT(park_subtotals),
            .groups = park_groups,
            .group_count = COUNT(park_groups),
        },
    [RERT_SCORE_KRAUZE_NCI_2017] =
        {
            .id = RERT_SCORE_KRAUZE_NCI_2017,
            .key = "krauze-nci-2017",
            .title = "NCI recurrent glioma reirradiation score (block sums)",
            .kind = RERT_SCORE_KIND_POINTS,
            .source = "Krauze AV, Peters C, Cheng J, et al. Re-irradiation for "
                      "recurrent glioma - the NCI experience in tumor control, "
                      "OAR toxicity and proposal of a novel prognostic scoring "
                      "system. Radiat Oncol 2017;12:191; doi "
                      "10.1186/s13014-017-0930-9; PMC5707810",
            .evidence_tag = "V",
            .verification =
                "All ten rows, their bands and 1/2/3 points checked against "
                "Table 1 (PMC5707810/table/Tab1), including the footnote "
                "(QUANTEC: chiasm 55 Gy, optic nerves 55 Gy, brainstem 54 Gy). "
                "Block significance from the abstract. The paper's abstract "
                "gives no grouping of the sums; none is implemented.",
            .caveats =
                "31 patients at one institution (NCI, 2008-2016), no external "
                "validation. Higher points are more favourable. The printed "
                "ranges share their end values (50 and 60 years, KPS 50 and "
                "70 %, 20 and 500 cm3, 1 and 3 cm, 90 and 110 %, 1 and 3 "
                "years); they are read as closed middle bands. The OAR rows "
                "are implemented as printed; see the warnings.",
            .outcome_summary =
                "independent-factor and target-control scores each significant "
                "for OS; their combination significant for OS (p = 0.02) and "
                "PFS (p = 0.006); the anticipated-toxicity score was not "
                "significant. No grouping of the sums is given",
            .factors = nci_factors,
            .factor_count = COUNT(nci_factors),
            .subtotals = nci_subtotals,
            .subtotal_count = COUNT(nci_subtotals),
            .groups = NULL,
            .group_count = 0,
        },
    [RERT_SCORE_NIEDER_2006_CORD] =
        {
            .id = RERT_SCORE_NIEDER_2006_CORD,
            .key = "nieder-2006-cord",
            .title =
                "Spinal cord reirradiation: Nieder 2006 low-risk conditions",
            .kind = RERT_SCORE_KIND_RULE,
            .source = "Nieder C, Grosu AL, Andratschke NH, Molls M. Update of "
                      "human spinal cord reirradiation tolerance based on "
                      "additional data from 38 patients. Int J Radiat Oncol "
                      "Biol Phys 2006;66(5):1446-1449; PMID 17084560",
            .evidence_tag = "V",
            .verification =
                "Thresholds (interval not shorter than 6 months, every course "
                "<= 98 Gy2, cumulative <= 120 Gy2 with no myelopathy reported, "
                "<= 135.5 Gy2 with small risk), alpha/beta 2 Gy for cervical "
                "and thoracic cord and the 100 Gy2 = 50 Gy/25 fx example read "
                "from the PubMed abstract (PMID 17084560).",
            .caveats =
                "Pooled published cases: 40 patients (11 with myelopathy) in "
                "2005 and 38 more in 2006 (Doi 2021 introduction) [V]. BED at "
                "alpha/beta 2 Gy for cervical and thoracic cord; the source "
                "used 4 Gy for the lumbar cord, where these Gy2 limits do not "
                "apply. Point doses from published reports: the pipeline's "
                "cord "
                "Dmax is the closest match. Steep SBRT/IMRT gradients need "
                "further evaluation (source). 32 later patients (Doi H et al. "
                "Strahlenther Onkol 2021;197:463-473) were reirradiated beyond "
                "these limits (median cumulative cord EQD2 Dmax 80.7 Gy, BED "
                "161 Gy2) without myelopathy at a median follow-up of 12 "
                "months [V].",
            .outcome_summary =
                "no myelopathy reported at <= 120 Gy2 and risk small at <= "
                "135.5 Gy2, both with interval >= 6 months and every course "
                "<= 98 Gy2. The 2005 score groups had myelopathy in 3 % (low), "
                "25 % (intermediate) and 90 % (high) in the 2006 update, but "
                "that score is not implemented",
            .factors = nieder_factors,
            .factor_count = COUNT(nieder_factors),
            .subtotals = nieder_subtotals,
            .subtotal_count = COUNT(nieder_subtotals),
            .groups = nieder_groups,
            .group_count = COUNT(nieder_groups),
        },
    [RERT_SCORE_NIEDER_2005_POINTS] =
        {
            .id = RERT_SCORE_NIEDER_2005_POINTS,
            .key = "nieder-2005-points",
            .title = "Spinal cord myelopathy risk score (points): NOT VERIFIED",
            .kind = RERT_SCORE_KIND_UNVERIFIED,
            .source =
                "Nieder C, Grosu AL, Andratschke NH, Molls M. Proposal of "
                "human spinal cord reirradiation dose based on collection "
                "of data from 40 patients. Int J Radiat Oncol Biol Phys "
                "2005;61(3):851-855",
            .evidence_tag = "R",
            .verification =
                "Verified: three variables (cumulative BED, highest BED of one "
                "course, interval) and group myelopathy rates 3 % / 25 % / 90 "
                "% "
                "(Nieder 2006 abstract, PMID 17084560; Doi 2021 introduction). "
                "Not verified: the BED bands and their points (120/130/140/150 "
                "Gy2 -> 0-4), the 4.5-point weights for an interval < 6 months "
                "and a course >= 102 Gy2, and the group cut-offs (0-3, 4-6, "
                ">= 7); they are only in the 2005 full text, which the search "
                "tool did not reach. Not implemented.",
            .caveats = "See nieder-2006-cord for the verified low-risk "
                       "conditions of the same authors.",
            .outcome_summary = "not computed",
            .factors = NULL,
            .factor_count = 0,
            .subtotals = NULL,
            .subtotal_count = 0,
            .groups = NULL,
            .group_count = 0,
        },
    [RERT_SCORE_MIRI_RPA_2018] =
        {
            .id = RERT_SCORE_MIRI_RPA_2018,
            .key = "miri-rpa-2018",
            .title = "Head and neck MIRI RPA classes: NOT VERIFIED",
            .kind = RERT_SCORE_KIND_UNVERIFIED,
            .source =
                "Ward MC, Riaz N, Caudell JJ, et al. Refining patient "
                "selection for reirradiation of head and neck squamous "
                "carcinoma in the IMRT era: a multi-institution cohort "
                "study by the MIRI collaborative. Int J Radiat Oncol Biol "
                "Phys 2018;100(3):586-594",
            .evidence_tag = "R",
            .verification =
                "Verified: cohort (412 patients, 7 institutions, >= 40 Gy "
                "before and >= 40 Gy re-IMRT, median 60 Gy, median interval "
                "2.4 years, chemotherapy 76 %) and that OS factors entered a "
                "recursive partitioning analysis (abstract copies at "
                "scholarlycommons.henryford.com and synapse.mskcc.org). Not "
                "verified: the class rules (24-month interval and its side at "
                "exactly 24 months, 'resected', organ dysfunction = feeding "
                "tube or tracheostomy) and the class 2-year OS (61.9 / 40.0 / "
                "16.8 %): every abstract copy found ends before the RPA "
                "result. "
                "Not implemented.",
            .caveats =
                "External validation is mixed: AIRO (159 patients) did not "
                "validate it, Harrell C = 0.526; independent OS factors there "
                "were nasopharyngeal site, no organ dysfunction and reRT "
                "volume "
                "< 36 cm3 (Orlandi E et al. Head Neck 2019;41:3684-3692) [V]. "
                "KROG 1707 (118 patients): class I better than II and III (Lee "
                "J et al. Cancer Res Treat 2020;52:1031-1040) [V]. Seoul (42 "
                "patients): 2-year OS 87.5 / 51.8 / 0 % for classes I / II / "
                "III, p = 0.008, interval >= 24 months favourable (Lee et al. "
                "Radiat Oncol J 2021;39:279-287) [V].",
            .outcome_summary = "not computed",
            .factors = NULL,
            .factor_count = 0,
            .subtotals = NULL,
            .subtotal_count = 0,
            .groups = NULL,
            .group_count = 0,
        },
    [RERT_SCORE_COMBS_2013] =
        {
            .id = RERT_SCORE_COMBS_2013,
            .key = "combs-2013",
            .title = "Heidelberg recurrent glioma reirradiation score: NOT "
                     "VERIFIED",
            .kind = RERT_SCORE_KIND_UNVERIFIED,
            .source = "Combs SE et al. Acta Oncol 2013 (prognostic score for "
                      "reirradiation of recurrent glioma)",
            .evidence_tag = "R",
            .verification =
                "Not verified: points (histology WHO I-II/III/IV 0/1/2, age "
                ">= 50 1, interval <= 12 months 1) and groups (0 / 1 / 2 / "
                "3-4); no abstract or table of the 2013 paper was found. The "
                "factor set (histology, age, interval) is consistent with the "
                "DKTK validation abstract (Combs SE et al. Cancer Med "
                "2018;7:1742-1749) [V]. Not implemented.",
            .caveats =
                "DKTK/ROG pooled validation (565 patients, median reRT 36 Gy): "
                "time from primary RT to reRT was not significant (p = 0.074); "
                "median OS after reRT 7.5 / 9.5 / 13.8 months for WHO IV / III "
                "/ I-II [V]. A 64-patient cohort testing 'a recent suggestion "
                "for a prognostic score' (presumably this one) found limited "
                "discrimination (Radiat Oncol 2013;8:161) [V abstract].",
            .outcome_summary = "not computed",
            .factors = NULL,
            .factor_count = 0,
            .subtotals = NULL,
            .subtotal_count = 0,
            .groups = NULL,
            .group_count = 0,
        },
    [RERT_SCORE_KESSEL_2017] =
        {
            .id = RERT_SCORE_KESSEL_2017,
            .key = "kessel-2017",
            .title = "Kessel modification of the Combs score: NOT VERIFIED",
            .kind = RERT_SCORE_KIND_UNVERIFIED,
            .source = "Kessel KA, Hesse J, Straube C, et al. Modification and "
                      "optimization of an established prognostic score after "
                      "re-irradiation of recurrent glioma. PLoS One "
                      "2017;12(7):e0180457",
            .evidence_tag = "R",
            .verification =
                "Verified only that the paper exists (title and authors) and "
                "that the DKTK validation tested six factors of the Combs and "
                "Kessel scores, naming tumour volume, histology, age, "
                "re-resection and the interval [V]. Point weights and groups "
                "not found. Not implemented.",
            .caveats = "See combs-2013.",
            .outcome_summary = "not computed",
            .factors = NULL,
            .factor_count = 0,
            .subtotals = NULL,
            .subtotal_count = 0,
            .groups = NULL,
            .group_count = 0,
        },
};

const RertScoreDefinition *rert_score_definition(RertScoreId id)
{
    if ((int)id < 0 || id >= RERT_SCORE_COUNT) {
        return NULL;
    }
    return &definitions[id];
}

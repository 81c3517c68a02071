"""The report's words and number formats, in English and French.

French follows the usage of French B2B teams: "lead", "MQL", "SQL" stay as they are; numbers
use a comma for decimals and a narrow no-break space for thousands, and "%" is spaced. Month
names and their abbreviations are the Unicode CLDR's (Babel): "juin" and "juil.", never two
"jui."; the first of a month is "1er".
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

NNBSP = "\u202f"  # narrow no-break space: French thousands separator and before "%"
NO_VALUE = "\u2013"  # en dash: a number that does not exist (no contact to divide by)
MINUS = "\u2212"  # the typographic minus sign of a negative change

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "B2B funnel: stage conversion",
        "subtitle": "Funnel as of {as_of}. Period compared: {period} against {previous}.",
        "generated": "Published {published_at} from the serving database.",
        "headlines": "Headline numbers",
        "headlines_intro": (
            "Contacts that entered each stage for the first time in {period}, against {previous},"
            " and how many are in the stage at the end of {as_of}."
        ),
        "entered_in": "entered in {month}",
        "vs": "vs {value} in {month}",
        "in_stage_now": "{value} in the stage now",
        "no_change": "no change to compute",
        "reading": "What moved",
        "funnel": "The funnel",
        "funnel_intro": (
            "Contacts that reached each stage by {as_of}, all cohorts together; a skipped stage"
            " counts as reached. Prospects are ICP contacts only. The percentages are the"
            " conversion from the stage above."
        ),
        "cohorts": "Conversion by cohort",
        "cohorts_intro": (
            "Each row is a cohort: prospects by the month they were identified, leads (and"
            " every later stage) by the month they became leads. Prospects are contacts in the"
            " ideal customer profile only, so prospect to lead is the conversion of ICP contacts;"
            " a contact outside it that shows interest is a lead without having been a prospect."
            " A cell is the share that reached the next stage within {window} days, over the"
            " contacts that have had the whole {window} days; it stays empty while fewer than"
            " {minimum} have, so young cohorts are not misread."
        ),
        "segments": "Conversion by segment",
        "segments_intro": (
            "Lead to MQL and MQL to SQL within {window} days, all cohorts together, by ICP"
            " grade, company size, industry and country (the {top} industries and countries with"
            " the most leads)."
        ),
        "sources": "Conversion by lead source",
        "sources_intro": (
            "Leads per source and their conversion within {window} days; the bar labels give the"
            " number of leads."
        ),
        "durations": "Time between stages",
        "durations_intro": (
            "Days from one stage to the next: the median (half of the contacts were faster) and"
            " the 75th percentile (three in four were faster). Skipped stages are left out."
        ),
        "definitions": "How to read the numbers",
        "definitions_text": (
            "All numbers come from the published tables (serving.duckdb), the ones BI reads:"
            " rpt_stage_conversion for the funnel, cohorts, segments and sources, dim_contacts"
            " and fct_funnel_transitions for the months' entries and the days between stages,"
            " fct_funnel_daily for the contacts in each stage. A rate of several groups is the"
            " sum of conversions over the sum of contacts, never an average of rates."
        ),
        "stage_prospect": "Prospects",
        "stage_lead": "Leads",
        "stage_mql": "MQLs",
        "stage_sql": "SQLs",
        "stage_opportunity": "Opportunities",
        "stage_customer": "Customers",
        "step_prospect_to_lead": "Prospect → lead",
        "step_lead_to_mql": "Lead → MQL",
        "step_mql_to_sql": "MQL → SQL",
        "step_sql_to_opportunity": "SQL → opportunity",
        "step_opportunity_to_customer": "Opportunity → customer",
        "segment_icp_fit_grade": "ICP grade",
        "segment_employee_band": "Employees",
        "segment_industry": "Industry",
        "segment_country": "Country",
        "this_period": "{month}",
        "leads_axis": "Leads",
        "share_axis": "Share converted",
        "days_axis": "Days",
        "median": "Median",
        "p75": "75th percentile",
        "cohort_label": "{month} ({leads} leads)",
        "no_data": "No data for this section yet.",
        "reading_stage": (
            "{stage}: {value} in {month}, against {previous_value} in {previous}{change}."
        ),
        "reading_change": " ({change})",
        "reading_cohort": (
            "Of the leads of {month}, the latest cohort with {window} days behind it,"
            " {rate} became MQLs within {window} days, against {previous_rate} for {previous}."
        ),
        "reading_cohort_alone": (
            "Of the leads of {month}, the latest cohort with {window} days behind it,"
            " {rate} became MQLs within {window} days."
        ),
        "reading_sources": (
            "Best source for lead to MQL within {window} days: {best} ({best_rate});"
            " weakest: {worst} ({worst_rate})."
        ),
        "reading_slowest": (
            "The slowest step is {step}: a median of {median} days, three in four within {p75}."
        ),
        "reading_funnel": (
            "Overall, {lead_to_customer} of the leads became customers by {as_of}"
            " ({customers} customers from {leads} leads)."
        ),
        "days": "{value} days",
        "footer": (
            "Generated by the B2B funnel warehouse. Opens offline: nothing is loaded from the"
            " network."
        ),
        "lang": "en",
    },
    "fr": {
        "title": "Funnel B2B : conversion par étape",
        "subtitle": "Funnel au {as_of}. Période comparée : {period} par rapport à {previous}.",
        "generated": "Publié le {published_at} depuis la base de diffusion.",
        "headlines": "Chiffres clés",
        "headlines_intro": (
            "Contacts entrés pour la première fois dans chaque étape en {period}, par rapport à"
            " {previous}, et nombre de contacts dans l'étape à la fin du {as_of}."
        ),
        "entered_in": "entrés en {month}",
        "vs": "contre {value} en {month}",
        "in_stage_now": "{value} dans l'étape aujourd'hui",
        "no_change": "pas d'évolution calculable",
        "reading": "Ce qui a bougé",
        "funnel": "Le funnel",
        "funnel_intro": (
            "Contacts ayant atteint chaque étape au {as_of}, toutes cohortes confondues ; une"
            " étape sautée compte comme atteinte. Les prospects sont les seuls contacts ICP. Les"
            " pourcentages sont la conversion depuis l'étape du dessus."
        ),
        "cohorts": "Conversion par cohorte",
        "cohorts_intro": (
            "Chaque ligne est une cohorte : les prospects par mois d'identification, les leads"
            " (et toutes les étapes suivantes) par mois de passage en lead. Les prospects sont"
            " les seuls contacts du profil de client idéal : prospect vers lead est la conversion"
            " des contacts ICP ; un contact hors profil qui montre un intérêt devient lead sans"
            " avoir été prospect. Une case donne la part passée à l'étape suivante en {window}"
            " jours au plus, parmi les contacts qui ont eu les {window} jours entiers ; elle reste"
            " vide tant que moins de {minimum} les ont eus, pour ne pas mal lire les cohortes"
            " récentes."
        ),
        "segments": "Conversion par segment",
        "segments_intro": (
            "Lead vers MQL et MQL vers SQL en {window} jours au plus, toutes cohortes confondues,"
            " par grade ICP, taille d'entreprise, secteur et pays (les {top} secteurs et pays qui"
            " ont le plus de leads)."
        ),
        "sources": "Conversion par source de lead",
        "sources_intro": (
            "Leads par source et leur conversion en {window} jours au plus ; les étiquettes des"
            " barres donnent le nombre de leads."
        ),
        "durations": "Délai entre les étapes",
        "durations_intro": (
            "Jours d'une étape à la suivante : la médiane (la moitié des contacts a été plus"
            " rapide) et le 75e centile (trois sur quatre ont été plus rapides). Les étapes"
            " sautées ne comptent pas."
        ),
        "definitions": "Comment lire les chiffres",
        "definitions_text": (
            "Tous les chiffres viennent des tables publiées (serving.duckdb), celles que lit la"
            " BI : rpt_stage_conversion pour le funnel, les cohortes, les segments et les sources,"
            " dim_contacts et fct_funnel_transitions pour les entrées du mois et les délais,"
            " fct_funnel_daily pour les contacts dans chaque étape. Un taux sur plusieurs groupes"
            " est la somme des conversions sur la somme des contacts, jamais une moyenne de taux."
        ),
        "stage_prospect": "Prospects",
        "stage_lead": "Leads",
        "stage_mql": "MQL",
        "stage_sql": "SQL",
        "stage_opportunity": "Opportunités",
        "stage_customer": "Clients",
        "step_prospect_to_lead": "Prospect → lead",
        "step_lead_to_mql": "Lead → MQL",
        "step_mql_to_sql": "MQL → SQL",
        "step_sql_to_opportunity": "SQL → opportunité",
        "step_opportunity_to_customer": "Opportunité → client",
        "segment_icp_fit_grade": "Grade ICP",
        "segment_employee_band": "Salariés",
        "segment_industry": "Secteur",
        "segment_country": "Pays",
        "this_period": "{month}",
        "leads_axis": "Leads",
        "share_axis": "Part convertie",
        "days_axis": "Jours",
        "median": "Médiane",
        "p75": "75e centile",
        "cohort_label": "{month} ({leads} leads)",
        "no_data": "Pas encore de données pour cette partie.",
        "reading_stage": (
            "{stage} : {value} en {month}, contre {previous_value} en {previous}{change}."
        ),
        "reading_change": " ({change})",
        "reading_cohort": (
            "Parmi les leads de {month}, la dernière cohorte qui a {window} jours de recul,"
            " {rate} sont devenus MQL en {window} jours au plus, contre {previous_rate} pour"
            " {previous}."
        ),
        "reading_cohort_alone": (
            "Parmi les leads de {month}, la dernière cohorte qui a {window} jours de recul,"
            " {rate} sont devenus MQL en {window} jours au plus."
        ),
        "reading_sources": (
            "Meilleure source pour le passage de lead à MQL en {window} jours : {best}"
            " ({best_rate}) ; la plus faible : {worst} ({worst_rate})."
        ),
        "reading_slowest": (
            "L'étape la plus lente est {step} : {median} jours en médiane, trois sur quatre en"
            " {p75} au plus."
        ),
        "reading_funnel": (
            "Au total, {lead_to_customer} des leads sont devenus clients au {as_of}"
            " ({customers} clients pour {leads} leads)."
        ),
        "days": "{value} jours",
        "footer": (
            "Produit par l'entrepôt du funnel B2B. S'ouvre hors ligne : rien n'est chargé"
            " depuis le réseau."
        ),
        "lang": "fr",
    },
}


class Formatter:
    """Words, numbers, months and rates in one language."""

    def __init__(self, lang: str) -> None:
        if lang not in STRINGS:
            raise ValueError(f"Unknown report language {lang!r}: choose one of {sorted(STRINGS)}.")
        self.lang = lang
        self.strings = STRINGS[lang]

    def t(self, key: str, **values) -> str:
        return self.strings[key].format(**values)

    def integer(self, value: int | None) -> str:
        if value is None:
            return NO_VALUE
        text = f"{value:,}"
        return text.replace(",", NNBSP) if self.lang == "fr" else text

    def decimal(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return NO_VALUE
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", NNBSP).replace(".", ",")
        return text

    def percent(self, value: float | None, digits: int = 0, signed: bool = False) -> str:
        if value is None:
            return NO_VALUE
        text = f"{value * 100:{'+' if signed else ''}.{digits}f}"
        text = text.replace("-", MINUS)
        if self.lang == "fr":
            return text.replace(".", ",") + NNBSP + "%"
        return text + "%"

    def month(self, month: date) -> str:
        """The month in full: "June 2026", "juin 2026"."""
        return format_date(month, "MMMM y", locale=self.lang)

    def short_month(self, month: date) -> str:
        """The month abbreviated as the language does: "Jun 2026", "juil. 2026", "mai 2026"."""
        return format_date(month, "MMM y", locale=self.lang)

    def day(self, day: date) -> str:
        """A day as a sentence writes it: "December 1, 2026", "1er décembre 2026"."""
        if self.lang == "fr":
            number = "1er" if day.day == 1 else str(day.day)
            return f"{number} {format_date(day, 'MMMM y', locale='fr')}"
        return format_date(day, "MMMM d, y", locale="en")

    @property
    def plotly_separators(self) -> str:
        """Plotly's `separators`: the decimal then the thousands character."""
        return "," + NNBSP if self.lang == "fr" else ".,"

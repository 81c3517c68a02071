"""The report's words and number formats, in English and French.

French follows the usage of French B2B teams: "lead", "MQL", "SQL" stay as they are; numbers
use a comma for decimals and a narrow no-break space for thousands, and "%" is spaced. Month
names and their abbreviations are the Unicode CLDR's (Babel): "juin" and "juil.", never two
"jui."; the first of a month is "1er".
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from orchestration.report.labels import LabelTable, label
from orchestration.report.stats import Rate

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
            " and how many are in the stage at the end of {as_of}. A change is a percentage only"
            " over at least {minimum} contacts in {previous}, and is coloured only when chance"
            " alone would rarely move the count that much."
        ),
        "entered_in": "entered in {month}",
        "vs": "vs {value} in {month}",
        "in_stage_now": "{value} in the stage now",
        "no_change": "no change to compute",
        "too_few_for_percent": "too few for a\u00a0%",
        "within_chance": "within chance",
        "reading": "What moved",
        "reading_intro": (
            "Largest changes first among those chance alone would rarely produce (5% level)"
            " over at least {minimum} contacts; then, greyed, those too small to read."
        ),
        "funnel": "The funnel",
        "funnel_intro": (
            "Contacts that reached each stage by {as_of}, all cohorts together; a skipped stage"
            " counts as reached. Prospects are ICP contacts only. The percentages are the"
            " conversion from the stage above, with the contacts converted over the contacts"
            " that could convert."
        ),
        "cohorts": "Conversion by cohort",
        "cohorts_intro": (
            "Each row is a cohort: prospects by the month they were identified, leads (and"
            " every later stage) by the month they became leads. Prospects are contacts in the"
            " ideal customer profile only, so prospect to lead is the conversion of ICP contacts;"
            " a contact outside it that shows interest is a lead without having been a prospect."
            " A cell is the share that reached the next stage within {window} days, over the"
            " contacts that have had the whole {window} days (n); it is grey, too few to read,"
            " while fewer than {minimum} have, and empty while none has."
        ),
        "segments": "Conversion by segment",
        "segments_intro": (
            "Lead to MQL and MQL to SQL within {window} days, all cohorts together, by ICP"
            " grade, company size, industry and country (the {top} industries and countries with"
            " the most leads). Each bar is a rate with its 95% interval and its number of"
            " contacts (n); the four panels share one scale. A group of fewer than {minimum}"
            " contacts is not drawn: too few to read."
        ),
        "sources": "Conversion by lead source",
        "sources_intro": (
            "Leads per source and their conversion within {window} days, with the 95% interval"
            " and the number of contacts (n) of each rate. A source with fewer than {minimum}"
            " contacts is not drawn: too few to read."
        ),
        "durations": "Time between stages",
        "durations_intro": (
            "Days from one stage to the next: the median (half of the contacts were faster) and"
            " the 75th percentile (three in four were faster). Skipped stages are left out. A"
            " step taken by fewer than {minimum} contacts is greyed: too few to read."
        ),
        "definitions": "How to read the numbers",
        "definitions_text": (
            "All numbers come from the published tables (serving.duckdb), the ones BI reads:"
            " rpt_stage_conversion for the funnel, cohorts, segments and sources, dim_contacts"
            " and fct_funnel_transitions for the months' entries and the days between stages,"
            " fct_funnel_daily for the contacts in each stage, rpt_labels for the names of"
            " sources, industries, countries and stages. A rate of several groups is the sum of"
            " conversions over the sum of contacts, never an average of rates."
        ),
        "statistics_text": (
            "Every rate is given with its denominator: 22% (34 / 153) is 34 contacts converted"
            " out of 153. The bars' error bars are 95% Wilson intervals. A rate over fewer than"
            " {minimum} contacts is too few to read: it is greyed or left out, never commented"
            " on. A change is read only when its base (last month's count, or both rates'"
            " contacts) is at least {minimum} and chance alone would produce it less than 5% of"
            " the time: an exact Poisson test for counts, per day of each month, and a"
            " two-proportion test for rates. Otherwise it is too small to read, and a change on"
            " fewer than {minimum} contacts is never given as a percentage."
        ),
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
        "rate": "{percent} ({converted} / {contacts})",
        "n": "n = {value}",
        "too_few": "too few to read",
        "too_few_short": "too few",
        "too_few_n": "n = {value}, too few to read",
        "interval": "95% interval {low} to {high}",
        "points": "{value} points",
        "move_count": (
            "{stage}: {value} in {month} against {previous_value} in {previous} ({change})."
        ),
        "move_count_chance": (
            "{stage}: {value} in {month} against {previous_value} in {previous} ({change}):"
            " too small to read, chance alone moves a count that much."
        ),
        "move_count_small": (
            "{stage}: {value} in {month} against {previous_value} in {previous} ({change}):"
            " too small to read, fewer than {minimum} contacts in {previous}."
        ),
        "move_rate": (
            "{step} within {window} days: {rate} for the leads of {month} against"
            " {previous_rate} for those of {previous} ({change})."
        ),
        "move_rate_chance": (
            "{step} within {window} days: {rate} for the leads of {month} against"
            " {previous_rate} for those of {previous} ({change}): too small to read, chance"
            " alone moves a rate that much."
        ),
        "move_rate_small": (
            "{step} within {window} days: {rate} for the leads of {month} against"
            " {previous_rate} for those of {previous}: too small to read, fewer than {minimum}"
            " contacts."
        ),
        "reading_sources": (
            "Best source for lead to MQL within {window} days: {best}, {best_rate}; weakest:"
            " {worst}, {worst_rate}."
        ),
        "reading_sources_even": (
            "No lead source converts from lead to MQL within {window} days clearly better than"
            " another: from {worst}, {worst_rate}, to {best}, {best_rate}; too small to read."
        ),
        "reading_slowest": (
            "The slowest step is {step}: a median of {median} days, three in four within {p75}"
            " (n = {contacts})."
        ),
        "reading_funnel": "Overall, {lead_to_customer} of the leads became customers by {as_of}.",
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
            " {previous}, et nombre de contacts dans l'étape à la fin du {as_of}. Une évolution"
            " n'est donnée en pourcentage que sur au moins {minimum} contacts en {previous}, et"
            " n'est colorée que si le hasard seul la produirait rarement."
        ),
        "entered_in": "entrés en {month}",
        "vs": "contre {value} en {month}",
        "in_stage_now": "{value} dans l'étape aujourd'hui",
        "no_change": "pas d'évolution calculable",
        "too_few_for_percent": "trop peu pour un\u00a0%",
        "within_chance": "dans les variations du hasard",
        "reading": "Ce qui a bougé",
        "reading_intro": (
            "D'abord les plus fortes évolutions parmi celles que le hasard seul produirait"
            " rarement (seuil de 5\u202f%) sur au moins {minimum} contacts ; puis, en gris, celles"
            " trop faibles pour conclure."
        ),
        "funnel": "Le funnel",
        "funnel_intro": (
            "Contacts ayant atteint chaque étape au {as_of}, toutes cohortes confondues ; une"
            " étape sautée compte comme atteinte. Les prospects sont les seuls contacts ICP. Les"
            " pourcentages sont la conversion depuis l'étape du dessus, avec les contacts"
            " convertis sur les contacts qui pouvaient l'être."
        ),
        "cohorts": "Conversion par cohorte",
        "cohorts_intro": (
            "Chaque ligne est une cohorte : les prospects par mois d'identification, les leads"
            " (et toutes les étapes suivantes) par mois de passage en lead. Les prospects sont"
            " les seuls contacts du profil de client idéal : prospect vers lead est la conversion"
            " des contacts ICP ; un contact hors profil qui montre un intérêt devient lead sans"
            " avoir été prospect. Une case donne la part passée à l'étape suivante en {window}"
            " jours au plus, parmi les contacts qui ont eu les {window} jours entiers (n) ; elle"
            " est grise, trop peu nombreuse pour conclure, tant que moins de {minimum} les ont"
            " eus, et vide tant qu'aucun ne les a eus."
        ),
        "segments": "Conversion par segment",
        "segments_intro": (
            "Lead vers MQL et MQL vers SQL en {window} jours au plus, toutes cohortes"
            " confondues, par grade ICP, taille d'entreprise, secteur et pays (les {top}"
            " secteurs et pays qui ont le plus de leads). Chaque barre est un taux avec son"
            " intervalle à 95\u202f% et son nombre de contacts (n) ; les quatre graphiques"
            " partagent la même échelle. Un groupe de moins de {minimum} contacts n'est pas"
            " tracé : trop peu pour conclure."
        ),
        "sources": "Conversion par source de lead",
        "sources_intro": (
            "Leads par source et leur conversion en {window} jours au plus, avec l'intervalle à"
            " 95\u202f% et le nombre de contacts (n) de chaque taux. Une source de moins de"
            " {minimum} contacts n'est pas tracée : trop peu pour conclure."
        ),
        "durations": "Délai entre les étapes",
        "durations_intro": (
            "Jours d'une étape à la suivante : la médiane (la moitié des contacts a été plus"
            " rapide) et le 75e centile (trois sur quatre ont été plus rapides). Les étapes"
            " sautées ne comptent pas. Une étape franchie par moins de {minimum} contacts est"
            " grisée : trop peu pour conclure."
        ),
        "definitions": "Comment lire les chiffres",
        "definitions_text": (
            "Tous les chiffres viennent des tables publiées (serving.duckdb), celles que lit la"
            " BI : rpt_stage_conversion pour le funnel, les cohortes, les segments et les sources,"
            " dim_contacts et fct_funnel_transitions pour les entrées du mois et les délais,"
            " fct_funnel_daily pour les contacts dans chaque étape, rpt_labels pour les noms des"
            " sources, secteurs, pays et étapes. Un taux sur plusieurs groupes est la somme des"
            " conversions sur la somme des contacts, jamais une moyenne de taux."
        ),
        "statistics_text": (
            "Chaque taux est donné avec son dénominateur : 22\u202f% (34 / 153) signifie 34"
            " contacts convertis sur 153. Les barres d'erreur sont des intervalles de Wilson"
            " à 95\u202f%. Un taux sur moins de {minimum} contacts est trop peu nombreux pour"
            " conclure : il est grisé ou omis, jamais commenté. Une évolution n'est lue que"
            " si sa base (le nombre du mois précédent, ou les contacts des deux taux) atteint"
            " {minimum} et que le hasard seul la produirait moins de 5 fois sur 100 : test"
            " exact de Poisson pour les nombres, rapportés aux jours de chaque mois, test de"
            " comparaison de deux proportions pour les taux. Sinon elle est trop faible pour"
            " conclure, et une évolution sur moins de {minimum} contacts n'est jamais donnée"
            " en pourcentage."
        ),
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
        "rate": "{percent} ({converted} / {contacts})",
        "n": "n = {value}",
        "too_few": "trop peu pour conclure",
        "too_few_short": "trop peu",
        "too_few_n": "n = {value}, trop peu pour conclure",
        "interval": "intervalle à 95\u202f% de {low} à {high}",
        "points": "{value} points",
        "move_count": (
            "{stage} : {value} en {month} contre {previous_value} en {previous} ({change})."
        ),
        "move_count_chance": (
            "{stage} : {value} en {month} contre {previous_value} en {previous} ({change}) :"
            " trop faible pour conclure, le hasard seul fait varier un nombre à ce point."
        ),
        "move_count_small": (
            "{stage} : {value} en {month} contre {previous_value} en {previous} ({change}) :"
            " trop faible pour conclure, moins de {minimum} contacts en {previous}."
        ),
        "move_rate": (
            "{step} en {window} jours au plus : {rate} pour les leads de {month} contre"
            " {previous_rate} pour ceux de {previous} ({change})."
        ),
        "move_rate_chance": (
            "{step} en {window} jours au plus : {rate} pour les leads de {month} contre"
            " {previous_rate} pour ceux de {previous} ({change}) : trop faible pour conclure, le"
            " hasard seul fait varier un taux à ce point."
        ),
        "move_rate_small": (
            "{step} en {window} jours au plus : {rate} pour les leads de {month} contre"
            " {previous_rate} pour ceux de {previous} : trop faible pour conclure, moins de"
            " {minimum} contacts."
        ),
        "reading_sources": (
            "Meilleure source pour le passage de lead à MQL en {window} jours : {best}, {best_rate}"
            " ; la plus faible : {worst}, {worst_rate}."
        ),
        "reading_sources_even": (
            "Aucune source ne convertit nettement mieux qu'une autre de lead à MQL en {window}"
            " jours : de {worst}, {worst_rate}, à {best}, {best_rate} ; trop faible pour conclure."
        ),
        "reading_slowest": (
            "L'étape la plus lente est {step} : {median} jours en médiane, trois sur quatre en"
            " {p75} au plus (n = {contacts})."
        ),
        "reading_funnel": (
            "Au total, {lead_to_customer} des leads sont devenus clients au {as_of}."
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

    def __init__(self, lang: str, labels: LabelTable | None = None) -> None:
        if lang not in STRINGS:
            raise ValueError(f"Unknown report language {lang!r}: choose one of {sorted(STRINGS)}.")
        self.lang = lang
        self.strings = STRINGS[lang]
        self.labels = labels or {}

    def t(self, key: str, **values) -> str:
        return self.strings[key].format(**values)

    def label(self, kind: str, code: str) -> str:
        """The words for a code (`lead_source` `purchased_list`), from `rpt_labels`."""
        return label(self.labels, kind, code, self.lang)

    def rate(self, rate: Rate, digits: int = 0) -> str:
        """A rate with what it is made of: "22% (34 / 153)", "22 % (34 / 153)"."""
        if not rate.contacts:
            return NO_VALUE
        return self.t(
            "rate",
            percent=self.percent(rate.value, digits),
            converted=self.integer(rate.converted),
            contacts=self.integer(rate.contacts),
        )

    def signed_integer(self, value: int) -> str:
        """A difference of counts: "+5", and a typographic minus sign for a fall."""
        return f"{value:+,}".replace("-", MINUS).replace(",", NNBSP if self.lang == "fr" else ",")

    def points(self, value: float) -> str:
        """A difference of rates in percentage points: "+5 points"."""
        digits = 0 if abs(value) >= 0.01 else 1
        text = f"{value * 100:+.{digits}f}".replace("-", MINUS)
        return self.t("points", value=text.replace(".", ",") if self.lang == "fr" else text)

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

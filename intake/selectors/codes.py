"""The suggested procedure codes of a case, as its criteria set's coding table gives them.

A screening stores the codes of the table's first technique. Once a physician decides to
proceed with another technique, the codes are that technique's, from the same answers (the
screening's, age included) and the same set: the case view, the billing panel and the handout
follow the choice. What the codes are for is said with the set's own words (its technique
labels and its note on the codes), never with a procedure named in code.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.models import Decision, DecisionKind, Screening
from screener import adapters, engine


@dataclass(frozen=True)
class SuggestedCodes:
    codes: list[str]
    technique: str  # "" when the set has no coding table
    technique_label: str
    chosen: bool  # a physician's "proceed" chose the technique
    techniques: dict[str, str]  # every technique of the set's table, in order, with its label
    note: str  # the set's note on the codes ("provisional until ...")

    @property
    def label(self) -> str:
        """What the codes are for: "if <technique>" until a physician chooses, then the
        technique chosen; with the set's note."""
        if not self.technique_label:
            return self.note
        what = (
            self.technique_label
            if self.chosen
            else f"if {self.technique_label[:1].lower()}{self.technique_label[1:]}"
        )
        return f"{what}; {self.note}" if self.note else what


def _chosen_technique(decision: Decision | None, techniques: dict[str, str]) -> str:
    """The technique a "proceed" decision chose, when its set lists it ("" otherwise)."""
    if decision is None or decision.kind != DecisionKind.PROCEED:
        return ""
    return decision.technique if decision.technique in techniques else ""


def technique_label(screening: Screening, decision: Decision | None) -> str:
    """How the set names the technique the codes are for: the one the decision chose, else
    the coding table's first ("" when the set has no coding table). Evaluates nothing."""
    techniques = adapters.compiled_criteria(screening.criteria_set).spec.techniques()
    technique = _chosen_technique(decision, techniques) or next(iter(techniques), "")
    return techniques.get(technique, "")


def suggested_codes(screening: Screening, decision: Decision | None = None) -> SuggestedCodes:
    """The codes for the decision's technique when it is a "proceed" naming one, else the
    screening's stored codes (the table's first technique)."""
    compiled = adapters.compiled_criteria(screening.criteria_set)
    techniques = compiled.spec.techniques()
    first = next(iter(techniques), "")
    chosen = _chosen_technique(decision, techniques)
    technique = chosen or first
    codes = list(screening.suggested_codes)
    if chosen and chosen != first and screening.suggested_codes:
        answers, _invalid = adapters.typed_answers(
            compiled.spec, screening.answers, as_of=screening.as_of
        )
        codes = list(engine.suggested_codes(compiled.spec, answers, compiled.parameters, chosen))
    return SuggestedCodes(
        codes=codes,
        technique=technique,
        technique_label=techniques.get(technique, ""),
        chosen=bool(chosen),
        techniques=techniques,
        note=screening.criteria_set.codes_note,
    )


def screening_techniques(screening_id: object) -> dict[str, str]:
    """The techniques of the coding table of a screening's set ({} when none, or when the id
    is not a screening's: a form then simply offers no choice)."""
    try:
        screening_id = int(screening_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return {}
    if not 0 < screening_id < 2**63:  # beyond any id (and a database integer)
        return {}
    screening = Screening.objects.select_related("criteria_set").filter(pk=screening_id).first()
    if screening is None:
        return {}
    return adapters.compiled_criteria(screening.criteria_set).spec.techniques()

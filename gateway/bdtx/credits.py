"""The module rule: which facts earn a credit, in which school year, with which score.

Pure functions over the facts of one learner (all of a person's identities) and one
module, so the result depends only on the set of facts, never on the order statements
arrived in (a replay gives the same ledger).

Facts are walked in time order. Facts accumulate until the module's rule holds (xAPI
rule: a completion and a pass with a scaled score at or above the threshold; cmi5 rule:
``satisfied``); the credit then belongs to the school year of the fact that made the rule
hold. Later facts of that same year add evidence and may raise the score; they also stay
pending, with the next year's facts, so a module finished across the year boundary
counts in the year it was finished, and a module redone the next year is credited again.
Facts older than the previous school year do not carry over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.bdtx.models import RULE_CMI5


@dataclass(frozen=True)
class FactRow:
    """A non-voided fact as the ledger stored it."""

    seq: int
    statement_id: str
    actor_ifi: str
    version_id: int
    school_year: str
    completion: bool
    success: bool | None
    satisfied: bool
    scaled: float | None
    occurred: str
    stored: str
    registration: str | None


@dataclass
class Earned:
    """A credit the facts earn in one school year."""

    school_year: str
    earned_at: str
    version_id: int
    scaled: float | None
    facts: list[FactRow] = field(default_factory=list)

    @property
    def statement_ids(self) -> list[str]:
        """Evidence in feed order."""
        return [fact.statement_id for fact in sorted(self.facts, key=lambda f: f.seq)]

    @property
    def score(self) -> float | None:
        """The score on TEMIS's 0-10 scale."""
        return None if self.scaled is None else round(self.scaled * 10, 2)


def _counts(fact: FactRow, rule: str, threshold: float) -> bool:
    """Whether the fact is evidence under the rule (failures and low passes are not)."""
    if rule == RULE_CMI5:
        return fact.satisfied or (fact.success is True)
    return fact.completion or _qualifying_pass(fact, threshold)


def _qualifying_pass(fact: FactRow, threshold: float) -> bool:
    return fact.success is True and fact.scaled is not None and fact.scaled >= threshold


def _holds(facts: Sequence[FactRow], rule: str, threshold: float) -> bool:
    if rule == RULE_CMI5:
        return any(fact.satisfied for fact in facts)
    return any(f.completion for f in facts) and any(_qualifying_pass(f, threshold) for f in facts)


def _best_score(facts: Sequence[FactRow], rule: str, threshold: float) -> float | None:
    if rule == RULE_CMI5:
        scores = [f.scaled for f in facts if f.success is True and f.scaled is not None]
    else:
        scores = [
            f.scaled for f in facts if _qualifying_pass(f, threshold) and f.scaled is not None
        ]
    return max(scores) if scores else None


def _previous_year(name: str) -> str:
    first = int(name[:4])
    return f"{first - 1}-{first}"


def earn(facts: Sequence[FactRow], rule: str, threshold: float) -> dict[str, Earned]:
    """The credits per school year that ``facts`` (one learner, one module) earn."""
    earned: dict[str, Earned] = {}
    pending: list[FactRow] = []
    for fact in sorted(facts, key=lambda f: (f.occurred, f.seq)):
        carried = (fact.school_year, _previous_year(fact.school_year))
        pending = [f for f in pending if f.school_year in carried]
        pending.append(fact)
        credit = earned.get(fact.school_year)
        if credit is not None:
            # Already earned this year: better results raise the score, and the facts
            # stay pending in case the module is being finished again across the boundary.
            if _counts(fact, rule, threshold):
                credit.facts.append(fact)
                credit.scaled = _best_score(credit.facts, rule, threshold)
            continue
        if _holds(pending, rule, threshold):
            counted = [f for f in pending if _counts(f, rule, threshold)]
            earned[fact.school_year] = Earned(
                school_year=fact.school_year,
                earned_at=fact.occurred,
                version_id=fact.version_id,
                scaled=_best_score(counted, rule, threshold),
                facts=counted,
            )
            pending = []
    return earned

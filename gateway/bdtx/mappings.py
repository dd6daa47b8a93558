"""Admin inputs of the mapping: extra activity IRIs per module and module rules.

A mapping or rule change does not rewrite the past by itself: facts already read keep
the module they were read for. ``gateway bdtx rebuild`` replays the feed under the new
mapping (and delivers whatever changed).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx.errors import BdtxInputError, NotFoundError
from gateway.bdtx.models import RULE_CMI5, RULE_XAPI, ActivityMapping, ModuleRule
from gateway.bdtx.years import utc_text
from gateway.catalog.codes import parse_module_code
from gateway.catalog.errors import ModuleCodeError
from gateway.catalog.models import CatalogModule
from learning_store.timestamps import utc_now

RULES = (RULE_XAPI, RULE_CMI5)


def _module_key(session: Session, code: str) -> str:
    try:
        key = parse_module_code(code).key
    except ModuleCodeError as exc:
        raise BdtxInputError("module_code", exc.message) from exc
    if session.scalar(select(CatalogModule.key).where(CatalogModule.key == key)) is None:
        raise BdtxInputError("module_code", f"không có trong danh mục / not in the catalog: {code}")
    return key


def map_activity(session: Session, activity_id: str, module_code: str, note: str = "") -> str:
    """Count statements about ``activity_id`` for the module; returns the module key."""
    iri = activity_id.strip()
    if not iri or len(iri) > 2048 or ":" not in iri:
        raise BdtxInputError("activity_id", f"không phải IRI / not an IRI: {activity_id!r}")
    key = _module_key(session, module_code)
    owner = session.scalar(select(CatalogModule.key).where(CatalogModule.activity_id == iri))
    if owner is not None and owner != key:
        raise BdtxInputError("activity_id", f"là IRI của mô đun / is the IRI of module {owner}")
    mapping = session.get(ActivityMapping, iri)
    if mapping is None:
        session.add(
            ActivityMapping(activity_id=iri, module_key=key, note=note, created=utc_text(utc_now()))
        )
    else:
        mapping.module_key = key
        mapping.note = note
    session.flush()
    return key


def unmap_activity(session: Session, activity_id: str) -> None:
    """Remove a mapping; :class:`NotFoundError` if there is none."""
    mapping = session.get(ActivityMapping, activity_id.strip())
    if mapping is None:
        raise NotFoundError(f"no mapping for {activity_id!r}")
    session.delete(mapping)


def list_mappings(session: Session) -> list[ActivityMapping]:
    """Every mapping, by module then IRI."""
    return list(
        session.scalars(
            select(ActivityMapping).order_by(
                ActivityMapping.module_key, ActivityMapping.activity_id
            )
        )
    )


def set_module_rule(
    session: Session, module_code: str, rule: str, threshold: float | None = None
) -> ModuleRule:
    """Set how completion of a module is shown (``xapi`` or ``cmi5``) and its threshold.

    The content engineer's cmi5 import calls this with ``rule="cmi5"``.
    """
    if rule not in RULES:
        raise BdtxInputError("rule", f"one of {RULES}")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise BdtxInputError("threshold", "từ 0 đến 1 / between 0 and 1 (scaled score)")
    key = _module_key(session, module_code)
    row = session.get(ModuleRule, key)
    if row is None:
        row = ModuleRule(module_key=key)
        session.add(row)
    row.rule = rule
    row.threshold = threshold
    row.updated = utc_text(utc_now())
    session.flush()
    return row

"""LTI launches the ledger needs for grade passback, recorded by the LTI tool.

The LTI tool calls :func:`record_launch` when a learner launches a catalog module from a
course with Assignment and Grade Services. When that learner's statements later earn the
module, the credit carries this launch and the ledger queues an ``lti.score`` delivery
(payload in ``docs/BDTX.md``). A credit is matched to a launch by the xAPI registration
the content used, else by the learner's latest launch of that module before the
statement was stored.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.bdtx.errors import BdtxInputError
from gateway.bdtx.models import Launch
from gateway.bdtx.people import account_ifi
from gateway.bdtx.years import utc_text
from gateway.catalog.codes import parse_module_code
from gateway.catalog.errors import ModuleCodeError
from learning_store.timestamps import utc_now


def record_launch(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    user_sub: str,
    module_code: str | None,
    deployment_id: str = "",
    registration: str | None = None,
    context_id: str | None = None,
    resource_link_id: str | None = None,
    lineitem: str | None = None,
    lineitems: str | None = None,
    score_maximum: float | None = None,
) -> Launch:
    """Remember a launch (the caller's transaction). The learner is ``account(iss, sub)``."""
    module_key: str | None = None
    if module_code:
        try:
            module_key = parse_module_code(module_code).key
        except ModuleCodeError as exc:
            raise BdtxInputError("module_code", exc.message) from exc
    if score_maximum is not None and score_maximum <= 0:
        raise BdtxInputError("score_maximum", "phải dương / must be positive")
    launch = Launch(
        registration=registration.lower() if registration else None,
        actor_ifi=account_ifi(issuer, user_sub),
        module_key=module_key,
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        user_sub=user_sub,
        context_id=context_id,
        resource_link_id=resource_link_id,
        lineitem=lineitem,
        lineitems=lineitems,
        score_maximum=score_maximum or 10.0,
        launched=utc_text(utc_now()),
    )
    session.add(launch)
    session.flush()
    return launch

"""The one metadata every package's tables register on (a single Alembic history).

Importing this module imports each package's ``models`` so that Alembic sees them all.
"""

from __future__ import annotations

import gateway.bdtx.models as _bdtx_models  # noqa: F401
import gateway.bdtx.outbox as _outbox_models  # noqa: F401
import gateway.catalog.content_models as _content_models  # noqa: F401
import gateway.catalog.models as _catalog_models  # noqa: F401
import gateway.lti.models as _lti_models  # noqa: F401
import learning_store.models as _learning_store_models

metadata = _learning_store_models.Base.metadata

__all__ = ["metadata"]

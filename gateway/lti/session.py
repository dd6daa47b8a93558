"""pylti1p3 ``SessionService`` for FastAPI (mirrors ``contrib/flask/session.py``).

Launch data go to the database storage. The two checks pylti1p3 gets wrong are replaced:
the nonce is compared with the one stored for the *consumed* login (so it is good once),
and a state is never "valid again" for the same id_token hash (pylti1p3's re-validation
path is exactly a replay).
"""

from __future__ import annotations

import hmac

from pylti1p3.session import SessionService

from gateway.lti.launch_data_storage.db import DatabaseLaunchDataStorage
from gateway.lti.logins import Login
from gateway.lti.request import FastAPIRequest


class FastAPISessionService(SessionService):
    """Server-side launch data; nonce and state bound to one consumed login."""

    def __init__(
        self,
        request: FastAPIRequest,
        storage: DatabaseLaunchDataStorage,
        login: Login | None = None,
    ) -> None:
        super().__init__(request)
        self.set_data_storage(storage)
        self._login = login

    def save_nonce(self, nonce: str) -> None:
        """Nonces are stored with their login (``logins.issue_login``), not here."""

    def check_nonce(self, nonce: str) -> bool:
        """True only for the nonce of the login this launch consumed."""
        if self._login is None or not nonce:
            return False
        return hmac.compare_digest(nonce.encode(), self._login.nonce.encode())

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        """Never: a state is good for one launch (its login is consumed)."""
        return False

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        """Nothing to remember: a consumed login cannot be used again."""

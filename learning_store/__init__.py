"""Storage engine for xAPI: statements, documents, agents and activities over SQL.

Knows xAPI and SQLAlchemy, never the web. Errors form one hierarchy (``errors.py``)::

    LearningStoreError
    ├── BadRequestError          invalid input (HTTP 400)
    │   └── StatementValidationError
    ├── ForbiddenError           the credentials may not do this (HTTP 403)
    ├── NotFoundError            no such statement or document (HTTP 404)
    ├── ConflictError            id reused with other content, or a missing precondition (HTTP 409)
    ├── PreconditionFailedError  If-Match / If-None-Match not met (HTTP 412)
    └── PayloadTooLargeError     over a configured size limit (HTTP 413)
"""

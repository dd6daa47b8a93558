"""Errors of module content; routes map them to HTTP with their bilingual message.

```
CatalogError
└── ContentError
    ├── PackageError             a package that cannot be installed (nothing was kept)
    │   └── PackageTooLargeError     over a size, ratio or file-count limit (413)
    ├── ContentNotFoundError     no such module package, file or launch (404)
    └── LaunchError              a launch that cannot start (bad actor, no cmi5 content)
```
"""

from __future__ import annotations

from gateway.catalog.errors import CatalogError


class ContentError(CatalogError):
    """Base of the content errors."""


class PackageError(ContentError):
    """The package is malformed or unsafe; nothing of it was stored."""

    status_code = 422


class PackageTooLargeError(PackageError):
    """The package or one of its files exceeds a configured limit."""

    status_code = 413


class ContentNotFoundError(ContentError):
    """No package, file, registration or session matches."""

    status_code = 404


class LaunchError(ContentError):
    """A launch cannot start with these inputs."""

    status_code = 400

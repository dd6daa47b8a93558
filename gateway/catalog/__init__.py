"""The học liệu catalog: BDTX modules, their codes, releases, import/export and pages.

- ``codes``: BDTX module codes (``GVPT 15``), parsed leniently, stored canonically.
- ``tables``: the dispatch annex's table layout in CSV, TSV and XLSX.
- ``releases``: compare a table with the catalog and apply it as a numbered release.
- ``seed``: release 1, the 12 modules annexed to the January 2026 dispatch.
- ``service``: queries (list, search without diacritics, history, current version).
- ``routes`` / ``page``: ``/api/catalog/...`` and the ``/catalog`` page; ``cli``: commands.
"""

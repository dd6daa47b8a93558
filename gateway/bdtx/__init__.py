"""The BDTX ledger: statements -> module credits (periods) per person and school year.

- ``ledger``: the consumer of the learning store's feed (durable cursor, one transaction
  per batch), ``rebuild``; ``mapping`` (statement -> facts), ``credits`` (the module rule),
  ``modules`` (what it needs from the catalog), ``years`` (school years).
- ``people`` / ``people_table``: people, LMS identities, ``link_identity``, imports.
- ``launches``: LTI launches recorded for grade passback; ``mappings``: admin IRI
  mappings and module rules.
- ``deliveries``: what each credit revision owes (TEMIS record, xAPI statements, LTI
  score); ``outbox``: the durable queue; ``delivery``: the loop every connector shares.
- ``summary`` / ``routes`` / ``pages`` / ``schemas``: yearly summaries, ``/api/bdtx``, pages;
  ``cli``: ``gateway people`` and ``gateway bdtx``.

See ``docs/BDTX.md``.
"""

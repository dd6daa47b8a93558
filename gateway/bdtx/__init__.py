"""The BDTX ledger: statements -> module credits (periods) per person and school year.

Also home of the outbox (``outbox.py``) that delivery consumers (``gateway.temis``, the
LTI grade passback) read from.
"""

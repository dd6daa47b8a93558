"""TEMIS LMS Gateway: LTI 1.3 tool, xAPI LRS, BDTX ledger and TEMIS forwarder."""

__version__ = "0.1.0"

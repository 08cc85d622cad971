"""ESS good-practice self-assessment engine (loi ESS 2014, art. 3)."""

__version__ = "0.1.0"

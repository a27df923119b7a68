"""Operator command line tools (installed as console scripts, not used by any function)."""

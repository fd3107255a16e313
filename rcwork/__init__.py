"""rcwork: a workbench for teaching code LLMs to reflect on their own code, and measuring it."""

__version__ = "0.1.0"

from rcwork.quiet import quiet_known_noise as _quiet_known_noise

_quiet_known_noise()  # known-harmless dependency noise stays out of the lessons (rcwork.quiet)

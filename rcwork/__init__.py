"""rcwork: a workbench for teaching code LLMs to reflect on their own code, and measuring it."""

__version__ = "0.1.0"

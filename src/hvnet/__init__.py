"""hvnet: hypervisor host networking as one declarative, validated file.

Kept import-free on purpose: ``hvnet --version`` must start in well under 0.1 s, so heavy
modules (pydantic, rich, pyroute2) are imported only by the code paths that need them.
"""

__version__ = "0.1.0"

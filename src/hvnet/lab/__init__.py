"""The lab: prove kernel behaviour (bonding, 802.1Q, bridges) in a throwaway QEMU VM.

The development and CI kernels lack bonding and 802.1Q, so :class:`LabVM` boots the host's
distribution kernel under QEMU with the host root shared read-only (plus a throwaway overlay)
and runs commands inside it. See :mod:`hvnet.lab.vm` for the design and
``tests/lab/conftest.py`` for the pytest fixture.
"""

from hvnet.lab.errors import (
    INSTALL_HINT,
    LabBootError,
    LabCommandError,
    LabError,
    LabTimeout,
    LabUnavailable,
)
from hvnet.lab.jobs import LabJob, LabResult
from hvnet.lab.prereqs import Kernel, Prerequisites, find_prerequisites
from hvnet.lab.vm import LabVM

__all__ = [
    "INSTALL_HINT",
    "Kernel",
    "LabBootError",
    "LabCommandError",
    "LabError",
    "LabJob",
    "LabResult",
    "LabTimeout",
    "LabUnavailable",
    "LabVM",
    "Prerequisites",
    "find_prerequisites",
]

"""Exceptions raised by the lab.

They are split by what the caller should do about them: :class:`LabUnavailable` means
"this machine cannot run the lab at all" (a test should be skipped, or fail in CI), every
other :class:`LabError` means the lab could run but something went wrong (always a failure).
"""

from __future__ import annotations

INSTALL_HINT = (
    "apt-get install qemu-system-x86 linux-image-amd64 busybox-static "
    "iproute2 ifupdown ifenslave vlan bridge-utils iputils-ping arping"
)


class LabError(RuntimeError):
    """Base class of every lab failure."""


class LabUnavailable(LabError):
    """A prerequisite (qemu, a kernel with bonding, busybox, ...) is missing.

    The message always says what is missing and how to install it, because the person
    reading it is usually looking at a skipped test or a red CI job, not at this code.
    """


class LabBootError(LabError):
    """The VM did not come up; the message carries the tail of the serial console."""


class LabTimeout(LabError):
    """A job or an operation inside the VM did not finish in time."""


class LabCommandError(LabError):
    """A command run with ``check=True`` exited non-zero."""

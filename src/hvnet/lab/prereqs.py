"""Find the pieces the lab needs on the host: qemu, a distribution kernel, a static busybox.

Everything is discovered, nothing is assumed about where the project is checked out. Each
finder raises :class:`LabUnavailable` with an install hint, so a skipped test (or a failed CI
job, where missing prerequisites are an error) tells the reader exactly what to do.

Environment overrides:

``HVNET_LAB_KERNEL``
    a kernel release (``6.1.0-56-amd64``), a path to a ``vmlinuz`` image, or a directory
    holding an unpacked kernel package (``dpkg -x linux-image-*.deb DIR``: ``DIR/boot`` and
    ``DIR/lib/modules``).
``HVNET_LAB_QEMU`` / ``HVNET_LAB_BUSYBOX``
    explicit paths to ``qemu-system-x86_64`` and a statically linked busybox.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hvnet.lab.errors import INSTALL_HINT, LabUnavailable

#: Modules the guest must be able to load (by name, as in ``modules.dep``). The first group
#: is loaded by the initramfs, the rest by ``modprobe`` once the host root is mounted.
BOOT_MODULES = ("virtio_pci", "9pnet_virtio", "9p", "overlay")
NET_MODULES = ("virtio_net", "bonding", "8021q", "bridge", "veth", "dummy")

_MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.gz", ".ko.zst")


@dataclass(frozen=True)
class Kernel:
    """A bootable kernel image and the module tree that belongs to it."""

    release: str
    image: Path
    modules: Path


@dataclass(frozen=True)
class Prerequisites:
    """Everything needed to boot the lab VM."""

    kernel: Kernel
    qemu: Path
    busybox: Path


def module_name(path: str) -> str:
    """Return the module name of a ``modules.dep`` path (``kernel/.../8021q.ko.xz`` -> ``8021q``).

    Names are normalised with ``_`` like modprobe does, so ``9pnet-virtio`` and
    ``9pnet_virtio`` compare equal.
    """
    base = path.rsplit("/", 1)[-1]
    for suffix in _MODULE_SUFFIXES[::-1]:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base.replace("-", "_")


def read_module_index(modules: Path) -> tuple[dict[str, tuple[str, list[str]]], set[str]]:
    """Parse ``modules.dep`` and ``modules.builtin`` of a module tree.

    Returns ``({name: (relative path, [dependency names])}, {built-in names})``. Reading the
    index is much cheaper than walking the tree and is what modprobe itself trusts.
    """
    deps: dict[str, tuple[str, list[str]]] = {}
    dep_file = modules / "modules.dep"
    for line in dep_file.read_text().splitlines():
        if ":" not in line:
            continue
        target, _, rest = line.partition(":")
        deps[module_name(target)] = (target, [module_name(d) for d in rest.split()])
    builtin: set[str] = set()
    builtin_file = modules / "modules.builtin"
    if builtin_file.exists():
        builtin = {module_name(x) for x in builtin_file.read_text().split()}
    return deps, builtin


def missing_modules(modules: Path, names: Iterable[str]) -> list[str]:
    """Names among ``names`` that are neither a module in the tree nor built into the kernel."""
    try:
        deps, builtin = read_module_index(modules)
    except OSError:
        return list(names)
    return [n for n in names if n not in deps and n not in builtin]


def _version_key(release: str) -> list[tuple[int, int | str]]:
    """Natural sort key: ``6.10.0`` sorts after ``6.9.0``."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", release) if p]


def bzimage_release(image: Path) -> str | None:
    """Read the release string from a bzImage header (``kernel_version`` field, offset 0x20e).

    This is what ``file`` prints; it lets an arbitrarily named image be matched with its
    ``lib/modules/<release>`` directory.
    """
    try:
        with image.open("rb") as fh:
            head = fh.read(0x10000)
    except OSError:
        return None
    if len(head) < 0x210 or head[0x202:0x206] != b"HdrS":
        return None
    (ptr,) = struct.unpack_from("<H", head, 0x20E)
    start = ptr + 0x200
    if ptr == 0 or start >= len(head):
        return None
    raw = head[start:].split(b"\0", 1)[0].split(b" ", 1)[0]
    return raw.decode("ascii", "replace") or None


def _modules_dir_for(image: Path, release: str) -> Path | None:
    roots = [image.parent.parent, Path("/"), Path("/usr")]
    for root in roots:
        cand = root / "lib" / "modules" / release
        if (cand / "modules.dep").exists():
            return cand
    return None


def _kernel_from_image(image: Path) -> Kernel | None:
    release = bzimage_release(image)
    if release is None and image.name.startswith("vmlinuz-"):
        release = image.name[len("vmlinuz-") :]
    if release is None:
        return None
    modules = _modules_dir_for(image, release)
    if modules is None:
        return None
    return Kernel(release=release, image=image, modules=modules)


def _candidate_images(boot_dirs: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for d in boot_dirs:
        if d.is_dir():
            out.extend(sorted(d.glob("vmlinuz-*")))
    return out


def find_kernel(env: Mapping[str, str] | None = None) -> Kernel:
    """Pick the kernel to boot: ``HVNET_LAB_KERNEL`` or the newest one with ``bonding``.

    The host's running kernel is irrelevant: the point of the lab is a kernel that has the
    drivers the host lacks, so we choose among installed distribution kernels the newest whose
    module tree has every module the lab needs.
    """
    env = os.environ if env is None else env
    wanted = BOOT_MODULES + NET_MODULES
    override = env.get("HVNET_LAB_KERNEL", "").strip()
    candidates: list[Kernel] = []
    if override:
        p = Path(override)
        if p.is_file():
            images = [p]
        elif p.is_dir():
            images = _candidate_images([p / "boot", p])
        else:
            images = [Path("/boot") / f"vmlinuz-{override}"]
        for img in images:
            k = _kernel_from_image(img)
            if k is not None:
                candidates.append(k)
        if not candidates:
            raise LabUnavailable(
                f"HVNET_LAB_KERNEL={override!r}: no kernel image with a matching "
                "lib/modules/<release>/modules.dep found"
            )
    else:
        for img in _candidate_images([Path("/boot")]):
            k = _kernel_from_image(img)
            if k is not None:
                candidates.append(k)
        if not candidates:
            raise LabUnavailable(
                "no distribution kernel found (/boot/vmlinuz-* with /lib/modules/<release>); "
                f"install one: {INSTALL_HINT}"
            )
    candidates.sort(key=lambda k: _version_key(k.release), reverse=True)
    problems: list[str] = []
    for k in candidates:
        missing = missing_modules(k.modules, wanted)
        if missing:
            problems.append(f"{k.release}: lacks {', '.join(missing)}")
            continue
        if not os.access(k.image, os.R_OK):
            problems.append(
                f"{k.image} is not readable by this user (run as root, or "
                f"`sudo chmod 0644 {k.image}`)"
            )
            continue
        return k
    raise LabUnavailable(
        "no usable kernel for the lab: " + "; ".join(problems) + f". Install: {INSTALL_HINT}"
    )


def find_qemu(env: Mapping[str, str] | None = None) -> Path:
    """Locate ``qemu-system-x86_64`` (``HVNET_LAB_QEMU`` overrides)."""
    env = os.environ if env is None else env
    explicit = env.get("HVNET_LAB_QEMU")
    found = explicit or shutil.which("qemu-system-x86_64")
    if not found or not os.access(found, os.X_OK):
        raise LabUnavailable(f"qemu-system-x86_64 not found; install it: {INSTALL_HINT}")
    return Path(found)


def elf_is_static(path: Path) -> bool:
    """True if ``path`` is an ELF executable without a ``PT_INTERP`` (dynamic loader) segment.

    The initramfs holds nothing but busybox, so a dynamically linked busybox would fail
    at boot with an obscure "not found"; checking here turns that into a clear message.
    """
    try:
        with path.open("rb") as fh:
            hdr = fh.read(64)
            if hdr[:4] != b"\x7fELF":
                return False
            is64 = hdr[4] == 2
            endian = "<" if hdr[5] == 1 else ">"
            if is64:
                phoff, phentsize, phnum = (
                    struct.unpack_from(endian + "Q", hdr, 0x20)[0],
                    struct.unpack_from(endian + "H", hdr, 0x36)[0],
                    struct.unpack_from(endian + "H", hdr, 0x38)[0],
                )
            else:
                phoff, phentsize, phnum = (
                    struct.unpack_from(endian + "I", hdr, 0x1C)[0],
                    struct.unpack_from(endian + "H", hdr, 0x2A)[0],
                    struct.unpack_from(endian + "H", hdr, 0x2C)[0],
                )
            fh.seek(phoff)
            table = fh.read(phentsize * phnum)
    except OSError:
        return False
    for i in range(phnum):
        (p_type,) = struct.unpack_from(endian + "I", table, i * phentsize)
        if p_type == 3:  # PT_INTERP
            return False
    return True


def find_busybox(env: Mapping[str, str] | None = None) -> Path:
    """Locate a statically linked busybox (``HVNET_LAB_BUSYBOX`` overrides)."""
    env = os.environ if env is None else env
    explicit = env.get("HVNET_LAB_BUSYBOX")
    cands = (
        [explicit] if explicit else ["/bin/busybox", "/usr/bin/busybox", shutil.which("busybox")]
    )
    seen: list[str] = []
    for c in cands:
        if not c or c in seen:
            continue
        seen.append(c)
        p = Path(c)
        if p.is_file() and elf_is_static(p):
            return p
    if seen:
        raise LabUnavailable(
            f"busybox at {', '.join(seen)} is not statically linked; apt-get install busybox-static"
        )
    raise LabUnavailable(f"busybox not found; install it: {INSTALL_HINT}")


def find_prerequisites(env: Mapping[str, str] | None = None) -> Prerequisites:
    """Find qemu, kernel and busybox, reporting every missing piece at once."""
    problems: list[str] = []
    qemu = kernel = busybox = None
    try:
        qemu = find_qemu(env)
    except LabUnavailable as exc:
        problems.append(str(exc))
    try:
        kernel = find_kernel(env)
    except LabUnavailable as exc:
        problems.append(str(exc))
    try:
        busybox = find_busybox(env)
    except LabUnavailable as exc:
        problems.append(str(exc))
    if problems or qemu is None or kernel is None or busybox is None:
        raise LabUnavailable("lab prerequisites missing: " + " | ".join(problems))
    return Prerequisites(kernel=kernel, qemu=qemu, busybox=busybox)

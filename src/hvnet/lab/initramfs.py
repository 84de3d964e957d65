"""Build the boot artefacts: a tiny initramfs and (when possible) an uncompressed kernel.

The initramfs holds only a static busybox, the handful of modules needed to reach the host's
root filesystem over virtio-9p, and :data:`INIT_SCRIPT`. It is written in pure Python
(cpio "newc" + gzip) so the lab needs no ``cpio``/``mkinitramfs`` on the host, and it is cached
under a key made of the kernel release and a hash of everything that goes into it, so it is
rebuilt only when an input changes.

Under TCG, decompressing a distribution bzImage costs about 8 s of emulated CPU before the
kernel prints its first line. Debian kernels are built with ``CONFIG_PVH``, so qemu can boot
the uncompressed ELF ``vmlinux`` directly through the PVH entry point instead; we extract it
once from the bzImage payload (xz/gzip via the stdlib, zstd via the ``zstd`` tool if present)
and cache it. If extraction is impossible we simply boot the bzImage.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import os
import shutil
import stat
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hvnet.lab.errors import LabUnavailable
from hvnet.lab.prereqs import BOOT_MODULES, Kernel, read_module_index

#: Bump when the layout of the initramfs changes in a way the hash below does not see.
FORMAT_VERSION = "1"

#: ``/init`` of the initramfs (busybox ash, PID 1). It mounts the host root read-only over
#: 9p, stacks a tmpfs-backed overlay on it (every write in the guest is thrown away), mounts
#: the per-boot writable share at the *same absolute path as on the host*, and runs the
#: per-boot ``start.sh`` from that share inside the chroot. PID 1 stays this shell, whose
#: ``wait`` reaps orphaned processes; when the agent exits the VM powers off.
INIT_SCRIPT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
poweroff_now() {
    echo o > /proc/sysrq-trigger 2>/dev/null
    echo o > /newroot/proc/sysrq-trigger 2>/dev/null
    sleep 30
}
fail() {
    echo "hvnet-lab-init: FAILED: $*"
    poweroff_now
}
stamp() {
    f=/proc/uptime
    [ -e $f ] || f=/newroot/proc/uptime
    read -r up rest < $f
    echo "hvnet-lab-init: $* (uptime $up)"
}
stamp "loading boot modules"
for m in $(cat /modules.order); do
    insmod "/lib/modules/$m" || fail "insmod $m"
done
SHARE=
RUNTMPFS=1
for x in $(cat /proc/cmdline); do
    case "$x" in
        hvnet.share=*) SHARE="${x#hvnet.share=}" ;;
        hvnet.runtmpfs=*) RUNTMPFS="${x#hvnet.runtmpfs=}" ;;
    esac
done
[ -n "$SHARE" ] || fail "no hvnet.share= on the kernel command line"
stamp "mounting the host root"
mkdir -p /host /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /host \
    || fail "mount of the host root (9p tag hostroot)"
mount -t tmpfs -o mode=0755 rwlayer /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
    || fail "overlay mount"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
if [ "$RUNTMPFS" = 1 ]; then
    mount -t tmpfs -o mode=0755 run /newroot/run
fi
mkdir -p "/newroot$SHARE"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 hvshare "/newroot$SHARE" \
    || fail "mount of the job share (9p tag hvshare) at $SHARE"
stamp "starting $SHARE/start.sh"
(
    chroot /newroot /bin/sh "$SHARE/start.sh"
    echo "hvnet-lab-init: agent exited with status $?, powering off"
    poweroff_now
) &
while :; do
    wait
    sleep 1
done
"""


# --------------------------------------------------------------------------- cpio writer


class CpioWriter:
    """Minimal writer for the cpio "newc" format the kernel unpacks into its rootfs.

    Timestamps and owners are fixed (0) so identical inputs give identical archives.
    """

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._ino = 1

    def _entry(
        self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
    ) -> None:
        name_b = name.encode() + b"\0"
        fields = [
            self._ino, mode, 0, 0, 1 if not stat.S_ISDIR(mode) else 2, 0, len(data),
            0, 0, rdev[0], rdev[1], len(name_b), 0,
        ]  # fmt: skip
        self._ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._buf.write(hdr + name_b)
        self._buf.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self._buf.write(data)
        self._buf.write(b"\0" * (-len(data) % 4))

    def directory(self, name: str, perm: int = 0o755) -> None:
        self._entry(name, stat.S_IFDIR | perm)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int, perm: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def finish(self) -> bytes:
        """Append the trailer and return the archive."""
        self._entry("TRAILER!!!", 0)
        data = self._buf.getvalue()
        return data + b"\0" * (-len(data) % 512)


# --------------------------------------------------------------------------- modules


def module_closure(kernel: Kernel, targets: Iterable[str] = BOOT_MODULES) -> list[str]:
    """Relative paths (from ``modules.dep``) of ``targets`` and their dependencies, in load order.

    Built-in modules are skipped. The order is a depth-first post-order over the dependency
    graph, i.e. every module comes after everything it needs, which is what plain ``insmod``
    (no dependency resolution in the initramfs) requires.
    """
    deps, builtin = read_module_index(kernel.modules)
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        if name in builtin:
            return
        if name not in deps:
            raise LabUnavailable(f"kernel {kernel.release} has no module {name!r}")
        path, needs = deps[name]
        for dep in reversed(needs):
            visit(dep)
        order.append(path)

    for t in targets:
        visit(t)
    return order


def _decompress_tool(tool: str, data: bytes, package: str) -> bytes:
    exe = shutil.which(tool)
    if exe is None:
        raise LabUnavailable(f"{tool} is needed to unpack kernel files; apt-get install {package}")
    return subprocess.run([exe, "-dc"], input=data, capture_output=True, check=True).stdout


def read_module(path: Path) -> bytes:
    """Module bytes, decompressed: busybox ``insmod`` may not handle compressed modules."""
    data = path.read_bytes()
    name = path.name
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".zst"):
        return _decompress_tool("zstd", data, "zstd")
    return data


# --------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """``$HVNET_LAB_CACHE``, else ``$XDG_CACHE_HOME/hvnet/lab``, else ``~/.cache/hvnet/lab``."""
    explicit = os.environ.get("HVNET_LAB_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "hvnet" / "lab"


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so concurrent sessions never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_initramfs(kernel: Kernel, busybox: Path, cache: Path | None = None) -> Path:
    """Return the path of the cached initramfs for ``kernel``, building it if needed."""
    cache = cache_dir() if cache is None else cache
    mods = module_closure(kernel)
    h = hashlib.sha256()
    h.update(FORMAT_VERSION.encode())
    h.update(INIT_SCRIPT.encode())
    h.update(hashlib.sha256(busybox.read_bytes()).digest())
    for rel in mods:
        st = (kernel.modules / rel).stat()
        h.update(f"{rel}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    out = cache / f"initramfs-{kernel.release}-{h.hexdigest()[:16]}.cpio.gz"
    if out.exists():
        return out

    w = CpioWriter()
    for d in ("bin", "dev", "proc", "sys", "lib", "lib/modules", "host", "rw", "newroot"):
        w.directory(d)
    w.chardev("dev/console", 5, 1)
    w.chardev("dev/null", 1, 3, 0o666)
    w.file("bin/busybox", busybox.read_bytes(), 0o755)
    w.symlink("bin/sh", "busybox")
    names: list[str] = []
    for rel in mods:
        src = kernel.modules / rel
        base = src.name.split(".ko", 1)[0] + ".ko"
        w.file(f"lib/modules/{base}", read_module(src))
        names.append(base)
    w.file("modules.order", ("\n".join(names) + "\n").encode())
    w.file("init", INIT_SCRIPT.encode(), 0o755)
    atomic_write(out, gzip.compress(w.finish(), compresslevel=6, mtime=0))
    return out


# --------------------------------------------------------------------------- PVH vmlinux


def _elf_has_pvh_note(elf: bytes) -> bool:
    """True if a 64-bit ELF has the Xen ``PHYS32_ENTRY`` note qemu needs for a PVH boot."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        return False
    phoff = struct.unpack_from("<Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        base = phoff + i * phentsize
        p_type = struct.unpack_from("<I", elf, base)[0]
        if p_type != 4:  # PT_NOTE
            continue
        off, _vaddr, _paddr, size = struct.unpack_from("<QQQQ", elf, base + 8)
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12 : pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:  # XEN_ELFNOTE_PHYS32_ENTRY
                return True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False


def extract_vmlinux(image: bytes) -> bytes | None:
    """Uncompressed ELF kernel from a bzImage, or ``None`` if not possible/not PVH-bootable."""
    if len(image) < 0x250 or image[0x202:0x206] != b"HdrS":
        return None
    (version,) = struct.unpack_from("<H", image, 0x206)
    if version < 0x208:
        return None
    setup_sects = image[0x1F1] or 4
    off, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + off
    payload = image[start : start + length]
    try:
        if payload[:6] == b"\xfd7zXZ\x00":
            elf = lzma.LZMADecompressor().decompress(payload)
        elif payload[:2] == b"\x1f\x8b":
            elf = gzip.GzipFile(fileobj=io.BytesIO(payload)).read()
        elif payload[:4] == b"\x28\xb5\x2f\xfd" and shutil.which("zstd"):
            elf = _decompress_tool("zstd", payload, "zstd")
        else:
            return None
    except (lzma.LZMAError, OSError, EOFError, subprocess.CalledProcessError):
        return None
    return elf if _elf_has_pvh_note(elf) else None


def boot_image(kernel: Kernel, cache: Path | None = None) -> Path:
    """The file to pass to ``qemu -kernel``: a cached PVH ``vmlinux`` if possible, else the bzImage.

    A marker file remembers when extraction failed so it is not retried on every boot.
    ``HVNET_LAB_PVH=0`` forces the bzImage.
    """
    if os.environ.get("HVNET_LAB_PVH", "1") == "0":
        return kernel.image
    cache = cache_dir() if cache is None else cache
    data = kernel.image.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    out = cache / f"vmlinux-{kernel.release}-{digest}"
    nope = out.with_name(out.name + ".unusable")
    if out.exists():
        return out
    if nope.exists():
        return kernel.image
    elf = extract_vmlinux(data)
    if elf is None:
        atomic_write(nope, b"")
        return kernel.image
    atomic_write(out, elf)
    return out

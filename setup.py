"""Build configuration that pyproject.toml cannot state without experimental tables: the
optional C decoder ``hvnet._rtnl`` (src/hvnet/_rtnl_src/, see rtnl.h there). Optional means
a machine without a C compiler or Python headers still installs hvnet, which then decodes
in Python and prints ``status --json`` through the reference pipeline."""

from glob import glob

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "hvnet._rtnl",
            sources=sorted(glob("src/hvnet/_rtnl_src/*.c")),
            depends=sorted(glob("src/hvnet/_rtnl_src/*.h")),
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
        )
    ]
)

#!/usr/bin/env python3
"""The deployable function crates, read from the filesystem (functions/*/ except `local`).

Standard library only, so the deploy and end-to-end workflows can use it without installing
anything. Each crate is described by its folder name (the Cloud Run service and image name),
its package and binary names, and the `Function` variant its main.rs runs.

    python3 scripts/infra/crates.py            # JSON list of every function name
    python3 scripts/infra/crates.py --kinds    # only the content-kind functions
    python3 scripts/infra/crates.py --image-target NAME   # the Dockerfile stage NAME is built from
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# The all-in-one laptop binary: never deployed.
NOT_DEPLOYED = {"local"}

# The functions that run post-processing, and so make podcast audio with ffmpeg: they are
# built from the Dockerfile's `runtime-audio` stage, every other one from `runtime`.
MAKES_AUDIO = {"PostProcess", "Maintenance"}


@dataclass(frozen=True)
class Crate:
    name: str  # folder under functions/: the service, image and binary name
    package: str  # [package] name
    binaries: tuple[str, ...]  # [[bin]] names
    variant: str  # Function::<variant> in main.rs: Kind, Bundle, JobStatus, ...
    kind: str | None  # Kind::<X> for a kind function

    @property
    def is_kind(self) -> bool:
        return self.variant == "Kind"

    @property
    def image_target(self) -> str:
        return "runtime-audio" if self.variant in MAKES_AUDIO else "runtime"


def _toml_value(text: str, table: str, key: str) -> list[str]:
    """Values of `key = "..."` inside every `[table]` / `[[table]]` of a small Cargo.toml."""
    values = []
    for block in re.split(r"(?m)^\[", text):
        header, _, body = block.partition("\n")
        if header.strip("[] ") == table:
            match = re.search(rf'(?m)^{key}\s*=\s*"([^"]+)"', body)
            if match:
                values.append(match.group(1))
    return values


def discover(root: Path) -> list[Crate]:
    crates = []
    for manifest in sorted((root / "functions").glob("*/Cargo.toml")):
        folder = manifest.parent
        if folder.name in NOT_DEPLOYED:
            continue
        text = manifest.read_text()
        package = (_toml_value(text, "package", "name") or [""])[0]
        binaries = tuple(_toml_value(text, "bin", "name")) or (package,)
        main = folder / "src" / "main.rs"
        source = main.read_text() if main.exists() else ""
        variant = re.search(r"Function::(\w+)", source)
        kind = re.search(r"Function::Kind\(\s*Kind::(\w+)", source)
        crates.append(
            Crate(
                name=folder.name,
                package=package,
                binaries=binaries,
                variant=variant.group(1) if variant else "",
                kind=kind.group(1) if kind else None,
            )
        )
    return crates


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    crates = discover(root)
    if argv[:1] == ["--image-target"] and len(argv) == 2:
        named = [c for c in crates if c.name == argv[1]]
        if not named:
            print(f"no deployable function named {argv[1]!r}", file=sys.stderr)
            return 2
        print(named[0].image_target)
        return 0
    if "--kinds" in argv:
        crates = [c for c in crates if c.is_kind]
    print(json.dumps([c.name for c in crates]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

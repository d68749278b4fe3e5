#!/usr/bin/env python3
"""CycloneDX helpers for scripts/sbom.sh (no network needed).

  sbom.py image IMAGE OUT.json   SBOM of a local Docker image: its Debian packages (dpkg) and the
                                 Python distributions of /opt/semantik/venv when the image has one.
                                 Exit 3 (and no file) when the image is not built.
  sbom.py validate FILE...       Validate each SBOM against the CycloneDX JSON schema of its
                                 specVersion; exit 1 naming the first invalid file.

cyclonedx-py (Python environments) and `npm sbom` (the frontend) write the other SBOMs; this
module covers what no packaged tool does offline here: a container image without a registry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NOT_BUILT = 3
VENV = "/opt/semantik/venv"
# Runs inside the image: no pip there (the Dockerfile removes it), importlib.metadata suffices.
_LIST = r"""
dpkg-query -W -f='deb\t${Package}\t${Version}\t${Architecture}\n'
. /etc/os-release && printf 'os\t%s\t%s\n' "$ID" "$VERSION_ID"
if [ -x VENV/bin/python ]; then
  VENV/bin/python -c 'import importlib.metadata as m
for d in m.distributions(): print("pypi\t%s\t%s" % (d.metadata["Name"], d.version))'
fi
""".replace("VENV", VENV)


def image_packages(image: str) -> tuple[str, list[tuple[str, str, str, str]], tuple[str, str]]:
    """(image id, [(kind, name, version, arch)], (os id, os version)) of a local image."""
    inspect = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image],
        capture_output=True,
        text=True,
    )
    if inspect.returncode != 0:
        raise LookupError(image)
    out = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image,
         "-c", _LIST],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    packages, os_release = [], ("debian", "")
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == "os" and len(fields) == 3:
            os_release = (fields[1], fields[2])
        elif fields[0] == "deb" and len(fields) == 4:
            packages.append(("deb", fields[1], fields[2], fields[3]))
        elif fields[0] == "pypi" and len(fields) == 3:
            packages.append(("pypi", fields[1], fields[2], ""))
    return inspect.stdout.strip(), packages, os_release


def image_bom(image: str) -> str:
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    image_id, packages, (os_id, os_version) = image_packages(image)
    root = Component(name=image, version=image_id, type=ComponentType.CONTAINER,
                     bom_ref=f"image:{image}")
    bom = Bom()
    bom.metadata.component = root
    components = []
    for kind, name, version, arch in sorted(set(packages)):
        if kind == "deb":
            purl = PackageURL("deb", os_id, name, version,
                              {"arch": arch, "distro": f"{os_id}-{os_version}"})
        else:
            purl = PackageURL("pypi", None, name.lower().replace("_", "-"), version)
        component = Component(name=name, version=version, type=ComponentType.LIBRARY,
                              purl=purl, bom_ref=purl.to_string())
        components.append(component)
        bom.components.add(component)
    bom.register_dependency(root, components)
    return JsonV1Dot6(bom).output_as_string(indent=2)


def validate(paths: list[str]) -> int:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    for path in paths:
        text = Path(path).read_text()
        try:
            version = SchemaVersion.from_version(json.loads(text)["specVersion"])
        except (ValueError, KeyError) as exc:
            print(f"sbom: {path}: not a CycloneDX JSON document ({exc!r})", file=sys.stderr)
            return 1
        error = JsonStrictValidator(version).validate_str(text)
        if error is not None:
            print(f"sbom: {path}: invalid CycloneDX {version.to_version()}: {error}",
                  file=sys.stderr)
            return 1
        count = len(json.loads(text).get("components", []))
        print(f"sbom: {path}: valid CycloneDX {version.to_version()}, {count} components")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "image":
        try:
            text = image_bom(argv[1])
        except LookupError:
            print(f"sbom: image {argv[1]} is not built here (make docker-build): "
                  "image SBOM skipped", file=sys.stderr)
            return NOT_BUILT
        Path(argv[2]).write_text(text + "\n")
        return 0
    if len(argv) >= 2 and argv[0] == "validate":
        return validate(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

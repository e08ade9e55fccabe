#!/usr/bin/env python3
"""Copy the browser libraries from ``frontend/node_modules`` into ``server/static/vendor/``.

Run after ``npm ci --ignore-scripts`` in ``frontend/`` (see frontend/README.md)::

    python3 frontend/vendor.py          # copy, write the licenses and vendor/manifest.json
    python3 frontend/vendor.py --check  # fail if server/static/vendor/ differs from what it would write

Only the minified dist files the pages load are copied, byte for byte, each library with its license; the
manifest records package versions, the npm integrity hashes from package-lock.json and the SHA-256 of every
vendored file. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
VENDOR = HERE.parent / "server" / "static" / "vendor"
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "License.txt", "license", "license.txt", "LICENCE")

# package -> (files copied from the package, file name of the license in the vendor folder)
LIBRARIES = {
    "cytoscape": {
        "folder": "cytoscape",
        "files": ["dist/cytoscape.min.js"],
    },
    "@zazuko/yasgui": {
        "folder": "yasgui",
        "files": ["build/yasgui.min.js", "build/yasgui.min.css"],
        # The npm package ships no license file; its package.json says MIT. This is the upstream text
        # (the LICENSE.txt of @triply/yasgui, which @zazuko/yasgui is a fork of).
        "license_file": HERE / "licenses" / "yasgui-LICENSE.txt",
        # yasgui.min.js bundles its whole dependency tree: their licenses go to THIRD-PARTY-LICENSES.txt.
        "bundles_dependencies": True,
    },
}


def lock() -> dict:
    return json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))["packages"]


def license_text(package_dir: Path) -> str | None:
    for name in LICENSE_NAMES:
        path = package_dir / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def declared_license(package_dir: Path, licence: str, mit_text: str) -> str:
    """For a package that ships no license file: what its package.json declares (and the MIT terms)."""
    meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    author = meta.get("author")
    if isinstance(author, dict):
        author = " ".join(filter(None, (author.get("name"), f"<{author['email']}>" if author.get("email") else None)))
    repo = meta.get("repository")
    if isinstance(repo, dict):
        repo = repo.get("url")
    lines = [f"The npm package ships no license file; its package.json declares the license {licence}."]
    if author:
        lines.append(f"Author: {author}.")
    if repo:
        lines.append(f"Repository: {repo}.")
    if licence == "MIT":
        lines += ["", "Copyright (c) the authors of " + meta["name"] + ".", "", mit_text.strip()]
    elif licence == "CC0-1.0":
        lines += [
            "",
            "CC0 1.0 Universal: dedicated to the public domain, https://creativecommons.org/publicdomain/zero/1.0/",
        ]
    else:
        sys.exit(f"{meta['name']}: no license file and an unknown declared license {licence!r}")
    return "\n".join(lines) + "\n"


def dependency_closure(packages: dict, name: str) -> list[str]:
    """The runtime dependencies of ``name``, recursively (npm's flat node_modules layout), sorted."""
    seen: set[str] = set()
    todo = list(packages[f"node_modules/{name}"].get("dependencies", {}))
    while todo:
        dep = todo.pop()
        if dep in seen:
            continue
        seen.add(dep)
        todo.extend(packages[f"node_modules/{dep}"].get("dependencies", {}))
    return sorted(seen)


def planned() -> tuple[dict[Path, bytes], dict]:
    """Every file to write under VENDOR (path -> bytes), and the manifest."""
    packages = lock()
    out: dict[Path, bytes] = {}
    manifest: dict = {"generated_by": "frontend/vendor.py", "libraries": {}}
    for name, spec in LIBRARIES.items():
        entry = packages[f"node_modules/{name}"]
        pkg_dir = MODULES / name
        meta = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
        if meta["version"] != entry["version"]:
            sys.exit(f"{name}: node_modules has {meta['version']}, package-lock.json {entry['version']}; run npm ci")
        folder = VENDOR / spec["folder"]
        for rel in spec["files"]:
            out[folder / Path(rel).name] = (pkg_dir / rel).read_bytes()
        text = spec["license_file"].read_text(encoding="utf-8") if "license_file" in spec else license_text(pkg_dir)
        if not text:
            sys.exit(f"{name}: no license file found")
        out[folder / "LICENSE.txt"] = text.encode("utf-8")
        bundled = []
        if spec.get("bundles_dependencies"):
            parts = [
                f"Third-party software bundled in {name} {entry['version']} (yasgui.min.js, yasgui.min.css):\n"
                "the package's runtime dependency tree as locked in frontend/package-lock.json, with each license.\n"
            ]
            for dep in dependency_closure(packages, name):
                dep_entry = packages[f"node_modules/{dep}"]
                licence = dep_entry.get("license") or "see text"
                dep_text = license_text(MODULES / dep) or declared_license(MODULES / dep, licence, text)
                bundled.append({"name": dep, "version": dep_entry["version"], "license": licence})
                parts.append(
                    f"\n{'=' * 78}\n{dep} {dep_entry['version']} ({licence})\n{'=' * 78}\n\n{dep_text.strip()}\n"
                )
            out[folder / "THIRD-PARTY-LICENSES.txt"] = "".join(parts).encode("utf-8")
        manifest["libraries"][name] = {
            "version": entry["version"],
            "license": entry.get("license"),
            "integrity": entry["integrity"],
            "homepage": meta.get("homepage"),
            "folder": f"vendor/{spec['folder']}",
            "files": {p.name: hashlib.sha256(b).hexdigest() for p, b in sorted(out.items()) if p.parent == folder},
            "bundled": bundled,
        }
    out[VENDOR / "manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return out, manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    if not MODULES.is_dir():
        sys.exit("frontend/node_modules is missing: run `npm ci --ignore-scripts` in frontend/ first")
    files, _ = planned()
    if args.check:
        stale = [str(p.relative_to(VENDOR)) for p, b in files.items() if not p.is_file() or p.read_bytes() != b]
        extra = [
            str(p.relative_to(VENDOR))
            for p in VENDOR.rglob("*")
            if p.is_file() and p not in files and p.name != "__init__.py"
        ]
        if stale or extra:
            print("server/static/vendor/ is out of date:", *stale, *(f"{e} (not generated)" for e in extra), sep="\n  ")
            return 1
        print(f"server/static/vendor/ matches frontend/node_modules ({len(files)} files)")
        return 0
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for path, data in sorted(files.items()):
        print(f"{len(data):>9,}  {path.relative_to(VENDOR.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

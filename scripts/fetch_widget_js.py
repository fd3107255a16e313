"""Fetch the JavaScript that lets executed notebooks show their widgets offline (``make env``).

require.js and the Jupyter widgets HTML manager come from the npm registry as pinned tarballs,
each checked against the registry's sha512 integrity, so no node or npm is needed.  They are too
large to keep in git (embed-amd.js alone is 3.6 MB) and live, ignored, in DEST.  The HTML
manager 1.0.x renders the widget state that ipywidgets 8 saves.

    python scripts/fetch_widget_js.py rcwork/_static
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGES = {
    "@jupyter-widgets/html-manager@1.0.15": (
        "https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-1.0.15.tgz",
        "5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="),
    "requirejs@2.3.8": (
        "https://registry.npmjs.org/requirejs/-/requirejs-2.3.8.tgz",
        "7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw=="),
}
# embed-amd.js and the icon fonts it loads from beside itself; no source maps.
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")


def fetch(name: str) -> tarfile.TarFile:
    url, sha512 = PACKAGES[name]
    with urllib.request.urlopen(url, timeout=120) as resp:
        data = resp.read()
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != sha512:
        raise SystemExit(f"{url}: sha512 {got} does not match the pinned {sha512}")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def main(dest: str) -> int:
    out = Path(dest)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "html-manager").mkdir(parents=True)
    with fetch("@jupyter-widgets/html-manager@1.0.15") as tar:
        for m in tar.getmembers():
            name = m.name.removeprefix("package/")
            keep = (name == "dist/embed-amd.js"
                    or (name.startswith("dist/") and name.endswith(FONT_SUFFIXES)))
            if m.isfile() and keep and "/" not in name.removeprefix("dist/"):
                (tmp / "html-manager" / Path(name).name).write_bytes(tar.extractfile(m).read())
    with fetch("requirejs@2.3.8") as tar:
        (tmp / "require.js").write_bytes(tar.extractfile("package/require.js").read())
    (tmp / "VERSIONS").write_text("\n".join(PACKAGES) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: fetch_widget_js.py DEST")
    raise SystemExit(main(sys.argv[1]))

"""Fetch the JavaScript that lets executed notebooks and the report show their widgets and
formulas offline (``make env``).

require.js, the Jupyter widgets HTML manager and MathJax come from the npm registry as pinned
tarballs, each checked against the registry's sha512 integrity, so no node or npm is needed.
They are too large to keep in git (embed-amd.js alone is 3.6 MB) and live, ignored, in DEST.
The HTML manager 1.0.x renders the widget state that ipywidgets 8 saves.  MathJax is 3.2.2, the
version JupyterLab 4 renders the lessons' formulas with, in the same output (CommonHTML): its
one-file ``tex-chtml-full.js`` (every TeX extension inside, so nothing is loaded on demand) and
the web fonts it loads from beside itself.

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
    "mathjax@3.2.2": (
        "https://registry.npmjs.org/mathjax/-/mathjax-3.2.2.tgz",
        "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="),
}
# embed-amd.js and the icon fonts it loads from beside itself; no source maps.
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")
# MathJax's combined component and its CommonHTML fonts, at the paths the component expects
# relative to itself ([mathjax]/output/chtml/fonts/woff-v2).
MATHJAX_SCRIPT = "es5/tex-chtml-full.js"
MATHJAX_FONTS = "es5/output/chtml/fonts/woff-v2/"


def fetch(name: str) -> tarfile.TarFile:
    """The package's tarball, refused unless its sha512 is the pinned one."""
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
    (tmp / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").mkdir(parents=True)
    with fetch("mathjax@3.2.2") as tar:
        for m in tar.getmembers():
            name = m.name.removeprefix("package/")
            font = (name.startswith(MATHJAX_FONTS) and name.endswith(".woff")
                    and "/" not in name.removeprefix(MATHJAX_FONTS))
            if m.isfile() and (name == MATHJAX_SCRIPT or font):
                (tmp / "mathjax" / name.removeprefix("es5/")).write_bytes(
                    tar.extractfile(m).read())
    (tmp / "VERSIONS").write_text("\n".join(PACKAGES) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: fetch_widget_js.py DEST")
    raise SystemExit(main(sys.argv[1]))

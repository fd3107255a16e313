#!/usr/bin/env sh
# Fetch the JavaScript that lets executed notebooks show their widgets offline (`make env`):
# require.js and the Jupyter widgets HTML manager, from the npm registry, pinned.  They are
# too large to keep in git (embed-amd.js alone is 3.6 MB), so they live, ignored, in DEST.
# The HTML manager 1.0.x renders the widget state that ipywidgets 8 saves.
set -eu
DEST=${1:?usage: fetch_widget_js.sh DEST}
HTML_MANAGER=@jupyter-widgets/html-manager@1.0.15
REQUIREJS=requirejs@2.3.8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$HTML_MANAGER" "$REQUIREJS" >/dev/null)
mkdir -p "$tmp/hm" "$tmp/rq"
tar -xzf "$tmp"/jupyter-widgets-html-manager-*.tgz -C "$tmp/hm"
tar -xzf "$tmp"/requirejs-*.tgz -C "$tmp/rq"
rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp/html-manager"
# embed-amd.js and the icon fonts it references beside itself; no source maps.
for f in "$tmp"/hm/package/dist/embed-amd.js "$tmp"/hm/package/dist/*.woff2 \
         "$tmp"/hm/package/dist/*.woff "$tmp"/hm/package/dist/*.ttf \
         "$tmp"/hm/package/dist/*.eot "$tmp"/hm/package/dist/*.svg \
         "$tmp"/hm/package/package.json; do
  if [ -e "$f" ]; then cp "$f" "$DEST.tmp/html-manager/"; fi
done
cp "$tmp/rq/package/require.js" "$DEST.tmp/require.js"
printf '%s\n%s\n' "$HTML_MANAGER" "$REQUIREJS" > "$DEST.tmp/VERSIONS"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"

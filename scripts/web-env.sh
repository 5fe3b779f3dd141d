# Sourced by scripts/test-web.sh and scripts/bench-web.sh: Debian's chromium and chromium-driver
# (apt-get, when missing) and a venv under target/ with Selenium (and the pinned packages in
# $web_packages), made once and reused. Sets $web_python.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver >/dev/null
fi
web_venv=target/web-venv
web_python=$web_venv/bin/python
for want in "selenium==4.51.0" ${web_packages:-}; do
    if ! "$web_python" -c "import importlib.metadata as m, sys; n, v = sys.argv[1].split('=='); sys.exit(m.version(n) != v)" "$want" 2>/dev/null; then
        [ -x "$web_python" ] || python3 -m venv "$web_venv"
        "$web_venv/bin/pip" install --quiet --disable-pip-version-check "$want"
    fi
done

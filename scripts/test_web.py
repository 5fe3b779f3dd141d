"""The browser page in a real browser (scripts/test-web.sh): headless Chromium, driven by Selenium,
loads target/web/wm-ethnicity.html from file://, uploads every fixture of fixtures/returns/ (with
the flags its .expected.json gives) and of fixtures/regional/, and checks that the page's findings,
converted records and rejects, downloaded through its links, are byte for byte what the command
line writes on the same file with the same flags, that its counts are the command line's, and
that the largest gaps it calls out beside the council's Census 2021 population are those of
`validate --format html`. Cases of fixtures/convert/ and more of fixtures/returns/ exercise
convert's --to-scheme, --characteristic and --spec.
The command line is run here, on each file: nothing expected is written down in this script.
Then it checks that the page made no request but for itself, and that its policy refuses any
connection. With --screenshots DIR it writes a picture of each screen there.

Usage: test_web.py [--screenshots DIR]"""

import argparse
from html import unescape
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By as Find

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "target/web/wm-ethnicity.html"
CLI = ROOT / "target/debug/wm-ethnicity"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1000",
]

# fixtures/regional/: the flags of docs/convert.md and fixtures/regional/README.md.
REGIONAL = [
    ("returns.csv", ["--council-column", "council", "--dataset-column", "dataset", "--column", "ethnicity"]),
    ("returns.csv", ["--council-column", "council", "--dataset-column", "dataset", "--column", "ethnicity", "--policy", "most-likely"]),
    ("legacy-free-text.csv", ["--scheme", "ons-2001-ew", "--by", "label", "--column", "ethnicity_text"]),
    ("legacy-housing-free-text.csv", ["--scheme", "housing-core", "--by", "label", "--column", "ethnicity_text"]),
]

# Convert's other flags, on fixtures that use them (fixtures/convert/*.case.json for --to-scheme;
# the columns of intersectional.csv, its specification's, for --characteristic), and a council
# for the census comparison.
CONVERT = [
    ("convert/to-dfe.csv", ["--scheme", "nhs-ethnic-category", "--to-scheme", "dfe-cbds", "--column", "ethnicity"]),
    ("convert/to-nhs.csv", ["--scheme", "standard", "--to-scheme", "nhs-ethnic-category", "--column", "ethnicity"]),
    ("returns/intersectional.csv", [
        "--scheme", "nhs-ethnic-category", "--column", "Ethnicity", "--council", "E08000026",
        "--characteristic", "Gender=nhs-person-stated-gender",
        "--characteristic", "DOB=census-2021-age-18@2021-03-21",
        "--characteristic", "Religion=census-2021-religion"]),
    ("returns/intersectional.csv", ["--spec", "intersectional.spec.yaml", "--to-scheme", "dfe-cbds", "--policy", "most-likely"]),
    ("returns/dfe-census-good.csv", ["--scheme", "dfe-cbds", "--column", "Ethnicity", "--council", "E08000025", "--to-scheme", "ons-2011-ew"]),
    # The file as Birmingham's children-in-need return: its extended codes are WM019 there.
    ("returns/dfe-census-good.csv", ["--council", "E08000025", "--scheme", "dfe-cbds", "--dataset", "children-in-need", "--column", "Ethnicity"]),
]

# Flags that pick a column or a value in one of the page's menus, by the menu's id.
MENUS = {
    "--scheme": "scheme", "--column": "column", "--by": "by", "--id-column": "id-column",
    "--date-column": "date-column", "--council": "council", "--council-column": "council-column",
    "--dataset-column": "dataset-column", "--policy": "policy", "--to-scheme": "to-scheme",
    "--dataset": "dataset",
}
# Flags that upload a file, by the file input's id.
UPLOADS = {"--spec": "spec", "--scheme-file": "scheme-files"}
# The flags convert takes of these, and those validate does not take.
CONVERT_FLAGS = {
    "--scheme", "--column", "--by", "--council-column", "--dataset-column", "--scheme-file", "--policy",
    "--to-scheme", "--characteristic", "--spec",
}
CONVERT_ONLY = {"--policy", "--to-scheme"}

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)


def pairs(args):
    it = iter(args)
    return list(zip(it, it))


def cases():
    for expected in sorted((ROOT / "fixtures/returns").glob("*.expected.json")):
        doc = json.loads(expected.read_text())
        yield expected.parent / doc["file"], doc["args"]
    for name, args in REGIONAL:
        yield ROOT / "fixtures/regional" / name, args
    for name, args in CONVERT:
        yield ROOT / "fixtures" / name, args


def cli(folder, *args):
    """The command line on a file of `folder`, named as the page names it (no folder)."""
    return subprocess.run([str(CLI), *args], cwd=folder, capture_output=True)


def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for f in FLAGS:
        options.add_argument(f)
    profile = tempfile.mkdtemp(prefix="wm-web-profile-")
    options.add_argument("--user-data-dir=" + profile)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.wm_profile = profile
    return driver


def quit_browser(driver):
    """Closes the browser and removes its profile (its history names the files it opened and
    downloaded; Chromium may keep large Blobs, the outputs, in it)."""
    try:
        driver.quit()
    finally:
        shutil.rmtree(driver.wm_profile, ignore_errors=True)


def wait(driver, states, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        state = driver.execute_script("return document.body.dataset.state")
        if state in states:
            return state
        time.sleep(0.05)
    raise TimeoutError(f"the page did not reach {states}: {driver.find_element(Find.ID, 'status').text}")


def choose(driver, menu, value):
    found = driver.execute_script(
        "const s = document.getElementById(arguments[0]);"
        "if (![...s.options].some(o => o.value === arguments[1])) return false;"
        "s.value = arguments[1]; s.dispatchEvent(new Event('change')); return true;",
        menu, value)
    check(found, f"menu {menu} has no choice {value!r}")


def load(driver):
    driver.get(PAGE.as_uri())
    wait(driver, {"ready"})


def upload(driver, path):
    """Chooses the file `path` and waits for the page to have read its header."""
    driver.find_element(Find.ID, "file").send_keys(str(path))
    end = time.time() + 30
    while not driver.find_element(Find.ID, "file-info").text.startswith(path.name + " ("):
        if time.time() > end:
            raise TimeoutError(f"the page did not take {path.name}")
        time.sleep(0.02)
    wait(driver, {"ready", "error"})


def fill(driver, path, args):
    """Uploads `path` and sets the page's menus from the command line's `args`."""
    upload(driver, path)
    for flag, value in pairs(args):
        if flag in UPLOADS:
            files = driver.find_element(Find.ID, UPLOADS[flag])
            files.send_keys(str(path.parent / value))
            time.sleep(0.05)
            wait(driver, {"ready", "error"})
        elif flag in MENUS:
            choose(driver, MENUS[flag], value)
        elif flag == "--characteristic":
            characteristic(driver, value)
        else:
            check(False, f"{path.name}: the page has no control for {flag}")


def characteristic(driver, value):
    """Adds a characteristic column as --characteristic COLUMN=SCHEME[@DATE] gives it."""
    column, rest = value.rsplit("=", 1)
    scheme, _, date = rest.partition("@")
    driver.execute_script("document.getElementById('characteristics-box').open = true")
    driver.find_element(Find.ID, "add-characteristic").click()
    row = driver.find_elements(Find.CSS_SELECTOR, "#characteristics .characteristic")[-1]
    for cls, v in [("ch-column", column), ("ch-scheme", scheme)]:
        found = driver.execute_script(
            "const s = arguments[0].querySelector('.' + arguments[1]);"
            "if (![...s.options].some(o => o.value === arguments[2])) return false;"
            "s.value = arguments[2]; return true;", row, cls, v)
        check(found, f"the characteristic's {cls} menu has no choice {v!r}")
    if date:
        driver.execute_script("arguments[0].querySelector('.ch-date').value = arguments[1]", row, date)


def census_gaps(driver, folder, name, vargs):
    """The largest gaps the page calls out beside the Census, and those of the HTML report."""
    page = [li.text for li in driver.find_elements(Find.CSS_SELECTOR, "#profile .gaps li")]
    html = cli(folder, "validate", name, *vargs, "--format", "html").stdout.decode()
    report = [unescape(x) for x in re.findall(r'<li class="gap">(.*?)</li>', html)]
    check(page == report, f"{name}: census gaps on the page {page}, in validate --format html {report}")
    return len(page)


def run(driver):
    driver.find_element(Find.ID, "run").click()
    time.sleep(0.05)
    return wait(driver, {"done", "error"})


def download(driver, kind, folder):
    """Clicks the page's download link of `kind`; the file it saved."""
    link = driver.find_element(Find.ID, "dl-" + kind)
    name = link.get_attribute("download")
    target = folder / name
    if target.exists():
        target.unlink()
    link.click()
    end = time.time() + 20
    while time.time() < end:
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target.read_bytes()
        time.sleep(0.05)
    raise TimeoutError(f"no download {name}")


def number(driver, card):
    return int(driver.find_element(Find.CSS_SELECTOR, f"#{card} b").text.replace(",", ""))


def test_case(driver, path, args, downloads, work):
    name = path.name
    folder = path.parent
    findings_csv = work / "cli.findings.csv"
    vargs = [x for f, v in pairs(args) if f not in CONVERT_ONLY for x in (f, v)]
    v = cli(folder, "validate", name, *vargs, "--format", "csv", "--output", str(findings_csv), "--force")
    load(driver)
    if v.returncode == 2 and b"WM012 missing-column" in v.stderr:
        # The command line was given a column the file does not have: the page offers only the
        # file's columns.
        upload(driver, path)
        column = dict(pairs(args))["--column"]
        offered = driver.execute_script("return [...document.getElementById('column').options].map(o => o.value)")
        check(offered and column not in offered, f"{name}: the page offers {offered}, with {column!r}")
        print(f"ok {name}: the command line's error is {v.stderr.decode().strip()!r}; the page offers only {offered}")
        return
    fill(driver, path, args)
    state = run(driver)
    if v.returncode == 2:
        # The command line could not validate it: the page says the same thing.
        message = v.stderr.decode().strip().removeprefix("wm-ethnicity: error: ")
        shown = driver.find_element(Find.ID, "error").text
        check(state == "error" and shown == message, f"{name}: page error {shown!r}, command line {message!r}")
        return
    check(state == "done", f"{name}: page state {state}: {driver.find_element(Find.ID, 'status').text}")
    if state != "done":
        return
    check(download(driver, "findings", downloads) == findings_csv.read_bytes(), f"{name}: findings differ from validate --format csv")
    report = json.loads(cli(folder, "validate", name, *vargs, "--format", "json").stdout)["report"]
    for card, key in [("s-records", "records"), ("s-errors", "errors"), ("s-queries", "queries"), ("s-blank", "blank_lines")]:
        check(number(driver, card) == report[key], f"{name}: {key} {number(driver, card)} on the page, {report[key]} from the command line")
    gaps = census_gaps(driver, folder, name, vargs)
    flags = [x for f, v in pairs(args) if f in CONVERT_FLAGS for x in (f, v)]
    out, rejects = work / "cli.converted.csv", work / "cli.rejects.csv"
    c = cli(folder, "convert", name, *flags, "--output", str(out), "--rejects", str(rejects), "--force")
    check(c.returncode in (0, 1), f"{name}: convert exit {c.returncode}: {c.stderr.decode()}")
    counts = re.search(r"rows in: +([\d,]+) = converted ([\d,]+) \+ rejected ([\d,]+)", c.stdout.decode())
    rows, converted, rejected = (int(x.replace(",", "")) for x in counts.groups())
    check((number(driver, "s-converted"), number(driver, "s-rejected")) == (converted, rejected),
          f"{name}: converted/rejected differ from convert's {converted}/{rejected}")
    check(download(driver, "records", downloads) == out.read_bytes(), f"{name}: converted records differ from convert --output")
    check(download(driver, "rejects", downloads) == rejects.read_bytes(), f"{name}: rejects differ from convert --rejects")
    print(f"ok {name} {' '.join(args)}: {report['records']} records, {report['errors']} errors, {report['queries']} queries; "
          f"{converted} converted, {rejected} rejected; {gaps} census gaps called out")


def test_findings_filter(driver):
    """The findings table shows only the chosen rule and severity."""
    load(driver)
    fill(driver, ROOT / "fixtures/returns/dfe-census-bad.csv", ["--scheme", "dfe-cbds", "--column", "Ethnicity"])
    run(driver)
    rules = driver.execute_script("return [...document.querySelectorAll('#filter-rule option')].map(o => o.value).filter(Boolean)")
    check(len(rules) > 1, "the rule filter lists the rules found")
    for rule in rules:
        choose(driver, "filter-rule", rule)
        shown = {td.text for td in driver.find_elements(Find.CSS_SELECTOR, "#findings tbody tr td:first-child")}
        check(shown == {rule}, f"filter by {rule} shows {shown}")
    choose(driver, "filter-rule", "")
    choose(driver, "filter-severity", "error")
    shown = {td.text for td in driver.find_elements(Find.CSS_SELECTOR, "#findings tbody tr td:nth-child(2)")}
    check(shown == {"error"}, f"filter by severity error shows {shown}")


class Listener(http.server.BaseHTTPRequestHandler):
    """A server on loopback that counts what reaches it."""

    hits = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        Listener.hits.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()

    def log_message(self, *args):
        pass


def page_requests(driver):
    """The requests the page and its worker started (Chromium's own pages are left out), each with
    whether the page's policy blocked it."""
    sent, blocked = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            document = params.get("documentURL", "")
            if document.startswith((PAGE.as_uri(), "blob:null/")):
                sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason") == "csp":
            blocked.add(params["requestId"])
    return [(url, rid in blocked) for rid, url in sent.items()]


def test_no_connection(driver):
    """Nothing but the page itself was requested, and the page's policy refuses any connection:
    a server on loopback hears nothing from it."""
    for url, _ in page_requests(driver):
        check(url.split(":", 1)[0] in {"file", "blob", "data"}, f"the page requested {url}")
    server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        load(driver)
        check(driver.execute_script("return window.wmViolations") == [], "the page's own script and style pass its policy")
        refused = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0] + '/fetch').then(() => done('fetched'), () => done('refused'));", base)
        check(refused == "refused", f"fetch from the page was {refused}")
        driver.execute_script(
            "new Image().src = arguments[0] + '/image';"
            "try { new WebSocket(arguments[0].replace('http', 'ws') + '/socket') } catch (e) {}"
            "navigator.sendBeacon && navigator.sendBeacon(arguments[0] + '/beacon', 'x');", base)
        time.sleep(1)
        blocked = driver.execute_script("return window.wmViolations")
        for directive in ["connect-src", "img-src"]:
            check(any(v.startswith(directive) for v in blocked), f"the policy reported no {directive} refusal: {blocked}")
        for url, was_blocked in page_requests(driver):
            check(url.split(":", 1)[0] in {"file", "blob", "data"} or was_blocked, f"{url} was not blocked by the policy")
        check(Listener.hits == [], f"the loopback server was reached: {Listener.hits}")
        # The server answers a plain request: the probes were refused by the page, not unheard.
        urllib.request.urlopen(base + "/direct").read()
        check(Listener.hits == ["/direct"], f"the loopback server heard {Listener.hits}")
        print(f"ok no connection: the page requested only itself; {len(blocked)} probes refused by its policy")
    finally:
        server.shutdown()


def screenshots(driver, folder):
    folder.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, 560)
    load(driver)
    driver.save_screenshot(str(folder / "web-start.png"))
    driver.set_window_size(1280, 2600)
    fill(driver, ROOT / "fixtures/returns/dfe-census-bad.csv", ["--council", "E08000025", "--column", "Ethnicity", "--id-column", "UPN"])
    choose(driver, "dataset", "school-census")
    driver.find_element(Find.ID, "options").screenshot(str(folder / "web-choices.png"))
    run(driver)
    driver.execute_script("document.querySelector('details') && null")
    top = driver.find_element(Find.ID, "results")
    driver.execute_script("arguments[0].scrollIntoView()", top)
    driver.find_element(Find.ID, "summary").screenshot(str(folder / "web-summary.png"))
    driver.find_element(Find.CSS_SELECTOR, "#results .scroll").screenshot(str(folder / "web-findings.png"))
    driver.find_element(Find.ID, "profile").screenshot(str(folder / "web-profile.png"))
    load(driver)
    fill(driver, ROOT / "fixtures/returns/intersectional.csv", CONVERT[2][1])
    driver.find_element(Find.ID, "options").screenshot(str(folder / "web-convert-choices.png"))
    run(driver)
    driver.find_element(Find.ID, "downloads").screenshot(str(folder / "web-downloads.png"))
    driver.set_window_size(1280, 1000)
    print(f"screenshots in {folder}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", type=pathlib.Path, default=ROOT / "target/web/screenshots")
    args = parser.parse_args()
    downloads = pathlib.Path(tempfile.mkdtemp(prefix="wm-web-downloads-"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="wm-web-cli-"))
    driver = browser(downloads)
    try:
        count = 0
        for path, flags in cases():
            test_case(driver, path, flags, downloads, work)
            count += 1
        test_findings_filter(driver)
        test_no_connection(driver)
        screenshots(driver, args.screenshots)
    finally:
        quit_browser(driver)
        shutil.rmtree(downloads, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit(f"{len(failures)} failures of the browser page")
    print(f"the browser page agrees with the command line on {count} files, and made no connection")


if __name__ == "__main__":
    main()

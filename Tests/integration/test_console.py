"""The admin console in a real browser: Debian's chromium driven by Selenium (scripts/setup.sh
installs both). The browser trusts the test CA through an NSS database in its own HOME (no
certificate errors are ignored) and logs in with basic auth as an htpasswd user granted admin.
Screenshots of every page go to the test's output directory (`screenshots/`), or to
$CHARTWARDEN_SCREENSHOTS when set (docs/console.png comes from there)."""
import base64
import io
import os
import re
import shutil
import subprocess
import tarfile

import pytest

from conftest import PGP_KEYS, make_htpasswd, packaged, pgp_file, tls_file
from test_server_provenance import index_versions, push

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

HOSTILE = "<script>alert(1)</script>"
ROOT = ("root", "console-admin-pw")
WRITER = ("writer", "writer-pw")
HARD = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
HARD_UID = "hard-revoked-signer (ChartWarden test key) <hard-revoked-signer@test.invalid>"
RSA = PGP_KEYS["rsa-signer"]["fingerprint"]
CONSOLE_PAGES = ["/console", "/console/", "/console/repositories", "/console/repositories?q=web", "/console/signers",
                 f"/console/signers/{HARD}", "/console/quarantine", "/console/audit", "/console/audit?action=upload",
                 "/console/style.css"]
CONSOLE_POSTS = [f"/console/signers/{HARD}/distrust", f"/console/signers/{HARD}/revocation", "/console/signers/trust",
                 "/console/quarantine/signed/webapp/1.0.0/restore"]


@pytest.fixture(scope="module")
def htpasswd(chartwarden_bin, tmp_path_factory):
    return make_htpasswd(chartwarden_bin, tmp_path_factory.mktemp("console-auth") / "htpasswd", dict([ROOT, WRITER]))


def console_config(htpasswd, admin_listen):
    def mutate(config):
        config["auth"] = {"htpasswd": htpasswd,
                          "groups": {"ci": ["cert:ci-pusher", "user:writer"], "admins": ["cert:admin", "user:root"]},
                          "admins": ["group:admins"]}
        config["repositories"] = [
            {"name": "signed", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
             "provenance": {"mode": "enforce", "trustedKeys": [pgp_file("hard-revoked-signer.pub.asc"),
                                                               pgp_file("rsa-signer.pub.asc")]}},
            {"name": "stable", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"]},
        ]
        if admin_listen:
            config["server"]["adminListen"] = "127.0.0.1:0"
    return mutate


def chart_archive(tmp_path, name, version, chart_yaml_extra="", templates=None):
    text = f"apiVersion: v2\nname: {name}\nversion: {version}\n{chart_yaml_extra}"
    path = tmp_path / f"{name}-{version}.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for member, data in [("Chart.yaml", text)] + list((templates or {}).items()):
            info = tarfile.TarInfo(f"{name}/{member}")
            info.size = len(data.encode())
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data.encode()))
    return str(path)


def hostile_chart(tmp_path):
    """Description, annotation and maintainer name hold a script tag (YAML-quoted, as Helm allows)."""
    return chart_archive(tmp_path, "hostile", "1.0.0",
                         f"description: '{HOSTILE}'\nannotations:\n  note: '{HOSTILE}'\n"
                         f"maintainers:\n  - name: '{HOSTILE}'\n    email: m@example.invalid\n")


def hostile_key(tmp_path):
    """A public key whose user ID is markup."""
    home = tmp_path / "hostile-gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(gpg + ["--quick-generate-key", f"{HOSTILE} <evil@test.invalid>", "ed25519", "sign", "1d"],
                   check=True, capture_output=True)
    path = tmp_path / "hostile.pub.asc"
    path.write_bytes(subprocess.run(gpg + ["--armor", "--export"], check=True, capture_output=True).stdout)
    return str(path)


def populate(server, pgp, tmp_path):
    """signed: webapp 1.0.0 and 1.1.0 by hard-revoked-signer, redis-lite 0.8.1 by rsa-signer;
    stable: the hostile chart; one upload refused by the content policy."""
    for name, key in [("webapp-1.0.0.tgz", "hard-revoked-signer"), ("webapp-1.1.0.tgz", "hard-revoked-signer"),
                      ("redis-lite-0.8.1.tgz", "rsa-signer")]:
        chart = packaged(name)
        assert push(server, "signed", chart, pgp.prov(chart, key), tmp_path).status == 201, name
    assert push(server, "stable", hostile_chart(tmp_path)).status == 201
    refused = push(server, "stable", chart_archive(tmp_path, "binder", "0.1.0", templates={
        "templates/crb.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\n"}))
    assert refused.status == 403, refused


class Browser:
    """Headless chromium with the test CA trusted (NSS database in a private HOME) and basic auth
    sent on every request (DevTools extra headers: no credentials in URLs, no prompt)."""

    def __init__(self, workdir, base_url, screenshots, user=ROOT):
        self.base_url, self.screenshots = base_url, screenshots
        home = os.path.join(workdir, "browser-home")
        nss = os.path.join(home, ".pki", "nssdb")
        os.makedirs(nss)
        subprocess.run(["certutil", "-N", "-d", "sql:" + nss, "--empty-password"], check=True, capture_output=True)
        subprocess.run(["certutil", "-A", "-d", "sql:" + nss, "-n", "chartwarden-test-ca", "-t", "C,,",
                        "-i", tls_file("ca.crt")], check=True, capture_output=True)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000",
                         "--user-data-dir=" + os.path.join(home, "profile")]:
            options.add_argument(argument)
        service = webdriver.ChromeService(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                                          env={**os.environ, "HOME": home})
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(60)
        token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": "Basic " + token}})

    def open(self, path):
        self.driver.get(self.base_url + path)
        self.assert_safe()

    def assert_safe(self):
        """No alert ever opened, no script element in the page, and the TLS interstitial is not shown."""
        try:
            text = self.driver.switch_to.alert.text
            raise AssertionError(f"a script ran: alert {text!r}")
        except NoAlertPresentException:
            pass
        assert self.driver.find_elements(By.TAG_NAME, "script") == []
        assert "Privacy error" not in self.driver.title

    def shot(self, name):
        os.makedirs(self.screenshots, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.screenshots, f"{name}.png"))

    def texts(self, selector):
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, selector)]

    def quit(self):
        self.driver.quit()


@pytest.fixture
def screenshots(tmp_path):
    return os.environ.get("CHARTWARDEN_SCREENSHOTS") or str(tmp_path / "screenshots")


def test_console_walk_revoke_restore_distrust_and_escaping(server_factory, htpasswd, pgp, tmp_path, screenshots,
                                                           static_server):
    server = server_factory(console_config(htpasswd, admin_listen=True))
    populate(server, pgp, tmp_path)
    assert sorted(index_versions(server, "signed", "webapp")) == ["1.0.0", "1.1.0"]
    browser = Browser(str(tmp_path), server.admin_url, screenshots)
    try:
        # Repositories: every version with uploader, provenance (signer UID, fingerprint, checks) and verdicts.
        browser.open("/console/")
        assert browser.driver.current_url.endswith("/console/repositories")
        assert browser.driver.title == "Repositories · ChartWarden console"
        webapp = browser.driver.find_element(By.CSS_SELECTOR, "table.chart[data-chart='webapp'] tr[data-version='1.0.0']")
        assert "cert:ci-pusher" in webapp.text and "verified" in webapp.text and HARD in webapp.text
        assert HARD_UID in webapp.text and "signed 20" in webapp.text
        assert "11 checks passed" in webapp.text
        checks = webapp.get_attribute("textContent")
        assert "trusted-signer" in checks and "is trusted for this repository" in checks and "not revoked" in checks
        # The hostile chart: its description, annotation and maintainer name are shown as text.
        assert browser.texts("table.chart[data-chart='hostile'] .description") == [HOSTILE]
        assert any(HOSTILE in text for text in browser.texts("table.chart[data-chart='hostile'] .annotation"))
        assert browser.texts("table.chart[data-chart='hostile'] .maintainer") == [HOSTILE + " <m@example.invalid>"]
        browser.shot("repositories")
        # The search box.
        search = browser.driver.find_element(By.NAME, "q")
        search.send_keys("redis")
        search.submit()
        browser.assert_safe()
        assert [t.get_attribute("data-chart") for t in browser.driver.find_elements(By.CSS_SELECTOR, "table.chart")] \
            == ["redis-lite"]
        browser.shot("repositories-search")

        # Signers, then one signer: fingerprint, repositories and every chart it signed with its state.
        browser.open("/console/signers")
        rows = browser.driver.find_elements(By.CSS_SELECTOR, f"table.signers tr[data-fingerprint='{HARD}']")
        assert len(rows) == 1 and "signed" in rows[0].text
        browser.shot("signers")
        # Import a key whose user ID holds markup and trust it for stable, through the form.
        browser.driver.find_element(By.ID, "trust-key").send_keys(hostile_key(tmp_path))
        browser.driver.find_element(By.CSS_SELECTOR, "#trust-repo option[value='stable']").click()
        browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/signers/trust'] input[name='confirm']").click()
        browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/signers/trust'] button").click()
        browser.assert_safe()
        assert browser.driver.title.startswith("Trusted"), browser.driver.page_source[:2000]
        browser.open("/console/signers")
        hostile_rows = [row for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.signers tbody tr")
                        if HOSTILE in row.text]
        assert len(hostile_rows) == 1 and "stable" in hostile_rows[0].text
        browser.shot("signers-after-trust")
        rows = browser.driver.find_elements(By.CSS_SELECTOR, f"table.signers tr[data-fingerprint='{HARD}']")
        rows[0].find_element(By.TAG_NAME, "a").click()
        browser.assert_safe()
        assert browser.driver.current_url.endswith(f"/console/signers/{HARD}")
        charts = {(row.get_attribute("data-chart"), row.get_attribute("data-version")): row.text
                  for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.signed-charts tbody tr")}
        assert set(charts) == {("webapp", "1.0.0"), ("webapp", "1.1.0")}
        assert all("active" in text for text in charts.values())
        browser.shot("signer")

        # Revoke through the form: the first step lists exactly the charts it will quarantine and changes nothing.
        browser.driver.find_element(By.ID, "revocation-file").send_keys(pgp_file("hard-revoked-signer.rev.asc"))
        browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/revocation'] button").click()
        browser.assert_safe()
        assert browser.driver.title.startswith("Confirm revocation")
        preview = {(row.get_attribute("data-chart"), row.get_attribute("data-version"))
                   for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.preview tbody tr")}
        assert preview == {("webapp", "1.0.0"), ("webapp", "1.1.0")}
        assert sorted(index_versions(server, "signed", "webapp")) == ["1.0.0", "1.1.0"], "the preview changed nothing"
        browser.shot("revocation-confirm")
        browser.driver.find_element(By.CSS_SELECTOR, "button[name='confirm']").click()
        browser.assert_safe()
        assert browser.driver.title.startswith("Revoked")
        assert {(row.get_attribute("data-chart"), row.get_attribute("data-version"))
                for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.quarantined tbody tr")} == preview
        browser.shot("revocation-done")
        assert index_versions(server, "signed", "webapp") == []
        assert index_versions(server, "signed", "redis-lite") == ["0.8.1"]
        browser.open(f"/console/signers/{HARD}")
        assert "hard revocation" in browser.driver.find_element(By.CSS_SELECTOR, "table.signers").text
        assert all("quarantined" in row.text
                   for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.signed-charts tbody tr"))

        # A form posted without its token (or with another's) is refused and changes nothing.
        for data in ["", "csrf=" + "0" * 64]:
            refused = server.curl(server.admin_url + "/console/quarantine/signed/webapp/1.1.0/restore", "-X", "POST",
                                  "-H", "Content-Type: application/x-www-form-urlencoded", "--data", data,
                                  user=":".join(ROOT))
            assert refused.status == 403 and b"CSRF token" in refused.body, refused
        assert index_versions(server, "signed", "webapp") == []
        # The same from another site's page in the browser, which sends the admin's credentials along.
        attack = tmp_path / "attack"
        attack.mkdir()
        (attack / "index.html").write_text(
            f'<!DOCTYPE html><form method="post" action="{server.admin_url}/console/quarantine/signed/webapp/1.1.0/restore">'
            '<input type="hidden" name="confirm" value="yes"><button id="go">win a prize</button></form>')
        browser.driver.get(static_server(attack) + "/index.html")
        browser.driver.find_element(By.ID, "go").click()
        browser.assert_safe()
        assert "CSRF token" in browser.driver.find_element(By.TAG_NAME, "body").text
        assert index_versions(server, "signed", "webapp") == []

        # Quarantine: what, why, since when; restore one chart through the console.
        browser.open("/console/quarantine")
        rows = {row.get_attribute("data-version"): row for row in
                browser.driver.find_elements(By.CSS_SELECTOR, "table.quarantine tr[data-chart='webapp']")}
        assert set(rows) == {"1.0.0", "1.1.0"}
        assert "signer key revoked" in rows["1.1.0"].text and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", rows["1.1.0"].text)
        browser.shot("quarantine")
        rows["1.1.0"].find_element(By.CSS_SELECTOR, "button").click()
        browser.assert_safe()
        assert browser.driver.title.startswith("Restored")
        assert index_versions(server, "signed", "webapp") == ["1.1.0"]
        assert server.curl("/signed/charts/webapp-1.1.0.tgz").status == 200

        # Distrust with quarantine: preview, confirm, and the chart leaves the index.
        browser.open(f"/console/signers/{RSA}")
        browser.driver.find_element(By.CSS_SELECTOR, "input[name='quarantine']").click()
        browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/distrust'] button").click()
        browser.assert_safe()
        assert {(row.get_attribute("data-chart"), row.get_attribute("data-version"))
                for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.preview tbody tr")} == {("redis-lite", "0.8.1")}
        assert index_versions(server, "signed", "redis-lite") == ["0.8.1"]
        browser.driver.find_element(By.CSS_SELECTOR, "button[name='confirm']").click()
        browser.assert_safe()
        assert index_versions(server, "signed", "redis-lite") == []
        # Trust the known key again, for stable, from its page.
        browser.open(f"/console/signers/{RSA}")
        assert "signed" not in browser.driver.find_element(By.CSS_SELECTOR, f"tr[data-fingerprint='{RSA}']").text
        browser.driver.find_element(By.CSS_SELECTOR, "#trust-known-repo option[value='stable']").click()
        browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/trust'] input[name='confirm']").click()
        browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/trust'] button").click()
        browser.assert_safe()
        assert browser.driver.title.startswith("Trusted")
        browser.open(f"/console/signers/{RSA}")
        assert "stable" in browser.driver.find_element(By.CSS_SELECTOR, f"tr[data-fingerprint='{RSA}']").text
        browser.shot("signer-trusted")

        # Audit: filtered to refused uploads, the content policy's refusal in words.
        browser.open("/console/audit?action=upload&outcome=rejected")
        rows = browser.driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")
        assert len(rows) == 1 and "binder-0.1.0" in rows[0].text
        assert "ClusterRoleBinding in templates/crb.yaml line" in rows[0].text and "is denied" in rows[0].text
        browser.shot("audit-refusals")
        browser.open("/console/audit")
        actions = {row.get_attribute("data-action") for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")}
        assert {"upload", "revoke", "quarantine", "restore", "distrust"} <= actions
        browser.shot("audit")
        everything = [row.get_attribute("data-id") for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")]
        # Paged: follow "Older events" five at a time, filters kept, until the oldest.
        browser.open("/console/audit?limit=5")
        paged = []
        while True:
            paged += [row.get_attribute("data-id") for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")]
            older = browser.driver.find_elements(By.CSS_SELECTOR, "a.next")
            if not older:
                break
            older[0].click()
            browser.assert_safe()
        assert paged == everything and len(everything) > 10
        browser.open("/console/audit?since=2999-01-01T00:00:00Z")
        assert browser.driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr") == []

        # The hostile chart is still text on the page that shows it, after everything.
        browser.open("/console/repositories?q=hostile")
        assert browser.texts("table.chart[data-chart='hostile'] .description") == [HOSTILE]
    finally:
        browser.quit()


def test_console_is_only_for_admins_and_only_on_the_admin_listener(server_factory, htpasswd):
    server = server_factory(console_config(htpasswd, admin_listen=True))
    for path in CONSOLE_PAGES:
        # Admin listener: admins in, other principals 403, nobody 401.
        assert server.curl(server.admin_url + path, user=":".join(ROOT)).status in (200, 303), path
        assert server.curl(server.admin_url + path, user=":".join(WRITER)).status == 403, path
        assert server.curl(server.admin_url + path, cert="ci-pusher").status == 403, path
        assert server.curl(server.admin_url + path).status == 401, path
        # Main listener: 404 for everyone, admins included.
        for who in [{"user": ":".join(ROOT)}, {"cert": "admin"}, {"user": ":".join(WRITER)}, {}]:
            assert server.curl(path, **who).status == 404, (path, who)
    for path in CONSOLE_POSTS:
        assert server.curl(server.admin_url + path, "-X", "POST", "--data", "x=1", user=":".join(WRITER)).status == 403
        assert server.curl(path, "-X", "POST", "--data", "x=1", user=":".join(ROOT)).status == 404
    page = server.curl(server.admin_url + "/console/repositories", cert="admin")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"


def test_console_on_the_main_listener_without_an_admin_listener(server_factory, htpasswd):
    server = server_factory(console_config(htpasswd, admin_listen=False))
    for path in CONSOLE_PAGES:
        assert server.curl(path, user=":".join(ROOT)).status in (200, 303), path
        assert server.curl(path, cert="admin").status in (200, 303), path
        assert server.curl(path, user=":".join(WRITER)).status == 403, path
        assert server.curl(path).status == 401, path
    # Another admin's token does not pass for this one.
    root_token = form_token(server, "/console/signers", "/console/signers/trust", user=":".join(ROOT))
    cert_token = form_token(server, "/console/signers", "/console/signers/trust", cert="admin")
    assert root_token != cert_token
    refused = server.curl("/console/signers/trust", "-F", "csrf=" + root_token, "-F", "repo=signed", cert="admin")
    assert refused.status == 403 and b"CSRF token" in refused.body
    accepted = server.curl("/console/signers/trust", "-F", "csrf=" + cert_token, "-F", "repo=signed", cert="admin")
    assert accepted.status == 400 and b"choose a public key file" in accepted.body, accepted


TOKEN = r'[0-9]+\.[0-9a-f]{64}'


def form_token(server, url, action=None, **who):
    """The CSRF token of the form on page `url` that posts to `action` (the page's first form by default)."""
    page = server.curl(url, **who).body.decode()
    target = re.escape(action) if action else '[^"]+'
    return re.search(r'<form[^>]*action="' + target + r'"[^>]*>\s*<input type="hidden" name="csrf" value="(' + TOKEN + ')"',
                     page).group(1)


def hidden(page, name):
    return re.search(r'name="' + name + r'" value="([^"]*)"', page).group(1)


def test_a_soft_revocation_previews_exactly_what_it_quarantines(server_factory, htpasswd, pgp, tmp_path):
    """The preview is the re-evaluation's judgement: a soft revocation (2025-01-01) lists only
    the chart signed after it, the preview changes nothing, and the confirmation quarantines
    exactly the listed charts."""
    def mutate(config):
        console_config(htpasswd, admin_listen=False)(config)
        config["repositories"][0]["provenance"]["trustedKeys"].append(pgp_file("soft-revoked-signer.pub.asc"))
    server = server_factory(mutate)
    soft = PGP_KEYS["soft-revoked-signer"]["fingerprint"]
    for name, time in [("webapp-1.0.0.tgz", "20240601T000000"), ("webapp-1.1.0.tgz", None)]:
        chart = packaged(name)
        assert push(server, "signed", chart, pgp.prov(chart, "soft-revoked-signer", time=time), tmp_path).status == 201
    root = {"user": ":".join(ROOT)}
    url = f"/console/signers/{soft}/revocation"
    token = form_token(server, f"/console/signers/{soft}", url, **root)
    preview = server.curl(url, "-F", f"csrf={token}", "-F", "certificate=@" + pgp_file("soft-revoked-signer.rev.asc"), **root)
    assert preview.status == 200, preview
    listed = re.findall(r'<tr data-chart="([^"]+)" data-version="([^"]+)">', preview.body.decode())
    assert listed == [("webapp", "1.1.0")]
    assert "soft (retired" in preview.body.decode()
    assert sorted(index_versions(server, "signed", "webapp")) == ["1.0.0", "1.1.0"]
    carried = re.search(r'name="certificateBase64" value="([^"]+)"', preview.body.decode()).group(1)
    confirm = ["--data-urlencode", f"certificateBase64={carried}", "--data", "confirm=yes",
               "--data", "charts=" + hidden(preview.body.decode(), "charts"),
               "--data", "preview=" + hidden(preview.body.decode(), "preview")]
    # The confirmation, without its token, changes nothing.
    assert server.curl(url, *confirm, **root).status == 403
    assert sorted(index_versions(server, "signed", "webapp")) == ["1.0.0", "1.1.0"]
    done = server.curl(url, "--data", f"csrf={token}", *confirm, **root)
    assert done.status == 200, done
    assert re.findall(r'<tr data-chart="([^"]+)" data-version="([^"]+)">', done.body.decode()) == listed
    assert index_versions(server, "signed", "webapp") == ["1.0.0"]
    # A certificate for another key is refused at the first step, as by the admin API.
    hard_token = form_token(server, f"/console/signers/{HARD}", f"/console/signers/{HARD}/revocation", **root)
    wrong = server.curl(f"/console/signers/{HARD}/revocation", "-F", f"csrf={hard_token}",
                        "-F", "certificate=@" + pgp_file("soft-revoked-signer.rev.asc"), **root)
    assert wrong.status in (400, 404) and b"Revoke the key" not in wrong.body, wrong


# Hostile review of the console (findings F1-F9), each attack on real sockets or in the browser. ----

P = "\u0600"  # ARABIC NUMBER SIGN, a Prepend character: it joins the next character into one grapheme cluster
CLUSTER_RAW = [P + "<", P + ">", P + '"', '"\u0301', "'\u0301"]


def assert_no_raw_cluster(page):
    for raw in CLUSTER_RAW:
        assert raw not in page, f"{raw!r} written raw"
    assert not re.search(P + "&(?!lt;|gt;|amp;|quot;|#39;)", page), "a raw & after U+0600"


def prepend_chart(tmp_path, name="innocent", target="https://attacker.invalid/phish"):
    payload = (f"Nice chart{P}<meta http-equiv={P}\"refresh{P}\" content={P}\"0;url={target}{P}\"{P}>"
               f"{P}<h1{P}>Session expired{P}</h1{P}>")
    return chart_archive(tmp_path, name, "1.0.0", f"description: '{payload}'\n"), payload


def test_grapheme_cluster_payloads_are_escaped_on_every_page(server_factory, htpasswd, tmp_path):
    """F1: a chart description, the search box and a refused log-in name, each holding '<', '>',
    '"' joined to a Prepend or combining scalar, are shown as text (escaped per scalar)."""
    server = server_factory(console_config(htpasswd, admin_listen=False))
    root = {"user": ":".join(ROOT)}
    chart, payload = prepend_chart(tmp_path)
    assert push(server, "stable", chart).status == 201
    page = server.curl("/console/repositories", **root).body.decode()
    assert_no_raw_cluster(page)
    assert "<meta http-equiv" not in page.replace(P, "") and "&lt;meta" in page
    q = "%22%CC%81%20autofocus%20onfocus%3Dalert(1)%20x%3D%22"
    search = server.curl("/console/repositories?q=" + q, **root).body.decode()
    assert_no_raw_cluster(search)
    assert 'value="&quot;\u0301 autofocus onfocus=alert(1) x=&quot;"' in search
    name = f"x{P}<meta http-equiv=refresh content=0;url=//attacker.invalid/phish {P}>"
    assert server.curl("/api/stable/charts", user=f"{name}:guess").status == 401
    audit = server.curl("/console/audit?action=authenticate", **root).body.decode()
    assert_no_raw_cluster(audit)
    assert "&lt;meta http-equiv=refresh" in audit


def test_prepend_meta_refresh_stays_on_the_console_in_chromium(server_factory, htpasswd, tmp_path, static_server):
    """F1 in the browser: the description that redirected the admin to the attacker's page is text."""
    phish_dir = tmp_path / "phish"
    phish_dir.mkdir()
    (phish_dir / "phish.html").write_text("<!DOCTYPE html><title>phished</title>")
    phish = static_server(phish_dir) + "/phish.html"
    server = server_factory(console_config(htpasswd, admin_listen=True))
    chart, payload = prepend_chart(tmp_path, target=phish)
    assert push(server, "stable", chart).status == 201
    browser = Browser(str(tmp_path), server.admin_url, str(tmp_path / "shots"))
    try:
        browser.open("/console/")
        assert browser.driver.current_url == server.admin_url + "/console/repositories"
        assert browser.driver.find_elements(By.CSS_SELECTOR, "meta[http-equiv]") == []
        assert browser.texts("table.chart[data-chart='innocent'] .description") == [payload]
        assert browser.driver.current_url.startswith(server.admin_url)
    finally:
        browser.quit()


def test_injected_form_cannot_hijack_the_trust_form(server_factory, htpasswd, pgp, tmp_path):
    """F2: a key user ID that opened a distrust <form> around the page's 'Trust key' form (and its
    token) is text; clicking 'Trust key' posts the import form, and the victim stays published."""
    server = server_factory(console_config(htpasswd, admin_listen=True))
    victim = chart_archive(tmp_path, "victim", "1.0.0")
    assert push(server, "signed", victim, pgp.prov(victim, "rsa-signer"), tmp_path).status == 201
    uid = (f"Mallory {P}<form action=/console/signers/{RSA}/distrust method=post {P}>"
           f"{P}<input type=hidden name=repo value=signed {P}>{P}<input type=hidden name=quarantine value=true {P}>"
           f"{P}<input type=hidden name=confirm value=yes {P}> (mallory@evil.invalid)")
    home = tmp_path / "mallory-gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(gpg + ["--quick-generate-key", uid, "ed25519", "sign", "1y"], check=True, capture_output=True)
    key = tmp_path / "mallory.asc"
    key.write_bytes(subprocess.run(gpg + ["--armor", "--export"], check=True, capture_output=True).stdout)
    assert server.curl(server.admin_url + "/api/admin/signers?repo=stable", "--data-binary", f"@{key}",
                       cert="admin").status in (200, 201)
    browser = Browser(str(tmp_path), server.admin_url, str(tmp_path / "shots"))
    try:
        browser.open("/console/signers")
        assert len(browser.driver.find_elements(By.TAG_NAME, "form")) == 1
        browser.driver.find_element(By.XPATH, "//button[normalize-space()='Trust key']").click()
        browser.assert_safe()
        assert browser.driver.current_url == server.admin_url + "/console/signers/trust"
        assert "choose a public key file" in browser.driver.find_element(By.TAG_NAME, "body").text
    finally:
        browser.quit()
    assert index_versions(server, "signed", "victim") == ["1.0.0"]


def test_tokens_are_bound_to_their_form_and_fields_are_not_repeated(server_factory, htpasswd, pgp, tmp_path):
    """F2/F5: the import form's token does not distrust a key; a repeated field is a 400; a
    one-step confirm=yes without the preview's nonce is refused; tokens differ per form."""
    server = server_factory(console_config(htpasswd, admin_listen=False))
    root = {"user": ":".join(ROOT)}
    victim = chart_archive(tmp_path, "victim", "1.0.0")
    assert push(server, "signed", victim, pgp.prov(victim, "rsa-signer"), tmp_path).status == 201
    url = f"/console/signers/{RSA}/distrust"
    trust_token = form_token(server, "/console/signers", "/console/signers/trust", **root)
    distrust_token = form_token(server, f"/console/signers/{RSA}", url, **root)
    assert trust_token != distrust_token
    stolen = server.curl(url, "--data", f"csrf={trust_token}&repo=signed&quarantine=true&confirm=yes", **root)
    assert stolen.status == 403 and b"CSRF token" in stolen.body
    repeated = server.curl(url, "--data", f"repo=signed&csrf={distrust_token}&repo=stable", **root)
    assert repeated.status == 400 and b"more than once" in repeated.body
    one_step = server.curl(url, "--data", f"csrf={distrust_token}&repo=signed&quarantine=true&confirm=yes", **root)
    assert one_step.status == 403 and b"preview" in one_step.body
    assert index_versions(server, "signed", "victim") == ["1.0.0"]


def test_a_confirmation_refuses_a_set_of_charts_changed_since_its_preview(server_factory, htpasswd, pgp, tmp_path):
    """F4: a chart signed by the key and uploaded between preview and confirmation makes the
    confirmation a 409 that changes nothing; a new preview lists it and its confirmation applies."""
    server = server_factory(console_config(htpasswd, admin_listen=False))
    root = {"user": ":".join(ROOT)}
    first = chart_archive(tmp_path, "alpha", "1.0.0")
    assert push(server, "signed", first, pgp.prov(first, "rsa-signer"), tmp_path).status == 201
    url = f"/console/signers/{RSA}/distrust"
    token = form_token(server, f"/console/signers/{RSA}", url, **root)

    def preview():
        page = server.curl(url, "--data", f"csrf={token}&repo=signed&quarantine=true", **root).body.decode()
        return page, re.findall(r'<tr data-chart="([^"]+)" data-version="([^"]+)">', page)

    def confirm(page):
        return server.curl(url, "--data", f"csrf={form_token_of(page, url)}&repo=signed&quarantine=true&confirm=yes"
                           f"&charts={hidden(page, 'charts')}&preview={hidden(page, 'preview')}", **root)

    page, listed = preview()
    assert listed == [("alpha", "1.0.0")]
    second = chart_archive(tmp_path, "beta", "2.0.0")
    assert push(server, "signed", second, pgp.prov(second, "rsa-signer"), tmp_path).status == 201
    changed = confirm(page)
    assert changed.status == 409 and b"changed since the preview" in changed.body
    assert index_versions(server, "signed", "alpha") == ["1.0.0"] and index_versions(server, "signed", "beta") == ["2.0.0"]
    page, listed = preview()
    assert sorted(listed) == [("alpha", "1.0.0"), ("beta", "2.0.0")]
    done = confirm(page)
    assert done.status == 200, done
    assert index_versions(server, "signed", "alpha") == [] and index_versions(server, "signed", "beta") == []


def form_token_of(page, action):
    return re.search(r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>\s*<input type="hidden" name="csrf" value="('
                     + TOKEN + ')"', page).group(1)


def test_the_repositories_page_is_bounded_whatever_the_uploads(server_factory, htpasswd, tmp_path):
    """F3: ten versions with a 250 KiB description of '<' make a page under 200 KB that still
    lists the chart; past a page of versions the rest is one link away, and the search runs too."""
    server = server_factory(console_config(htpasswd, admin_listen=False))
    root = {"user": ":".join(ROOT)}
    for index in range(10):
        path = chart_archive(tmp_path, "bloat", f"1.0.{index}", f"description: '{'<' * (250 * 1024)}'\n")
        assert push(server, "stable", path).status == 201
    for index in range(45):
        assert push(server, "stable", chart_archive(tmp_path, "many", f"2.0.{index}")).status == 201
    page = server.curl("/console/repositories", **root)
    assert page.status == 200 and len(page.body) < 200_000, len(page.body)
    body = page.body.decode()
    assert 'data-chart="bloat"' in body and "more characters)" in body
    assert len(re.findall(r'<tr data-version=', body)) == 50
    more = re.search(r'<a class="next" href="([^"]+)">More versions in stable', body).group(1).replace("&amp;", "&")
    rest = server.curl(more, **root).body.decode()
    assert re.findall(r'<tr data-version="([^"]+)"', rest) == [f"2.0.{index}" for index in range(40, 45)]
    search = server.curl("/console/repositories?q=MAN", **root).body.decode()
    assert 'data-chart="many"' in search and 'data-chart="bloat"' not in search


def test_restore_of_a_version_with_build_metadata(server_factory, htpasswd, pgp, tmp_path):
    """F7: the quarantine page's restore form works for 1.0.0+build.7."""
    server = server_factory(console_config(htpasswd, admin_listen=False))
    root = {"user": ":".join(ROOT)}
    chart = chart_archive(tmp_path, "plus", "1.0.0+build.7")
    assert push(server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path).status == 201
    url = f"/console/signers/{RSA}/distrust"
    token = form_token(server, f"/console/signers/{RSA}", url, **root)
    page = server.curl(url, "--data", f"csrf={token}&repo=signed&quarantine=true", **root).body.decode()
    done = server.curl(url, "--data", f"csrf={form_token_of(page, url)}&repo=signed&quarantine=true&confirm=yes"
                       f"&charts={hidden(page, 'charts')}&preview={hidden(page, 'preview')}", **root)
    assert done.status == 200 and index_versions(server, "signed", "plus") == []
    quarantine = server.curl("/console/quarantine", **root).body.decode()
    action = re.search(r'action="(/console/quarantine/[^"]+/restore)"', quarantine).group(1)
    assert action == "/console/quarantine/signed/plus/1.0.0+build.7/restore"
    restored = server.curl(action, "--data", f"csrf={form_token_of(quarantine, action)}&confirm=yes", **root)
    assert restored.status == 200, restored
    assert index_versions(server, "signed", "plus") == ["1.0.0+build.7"]


def test_every_console_answer_on_the_admin_listener_carries_the_headers(server_factory, htpasswd):
    """F8: unrouted paths and methods under /console answer the console's HTML 404 with its headers."""
    server = server_factory(console_config(htpasswd, admin_listen=True))
    root = {"user": ":".join(ROOT)}
    for path in ["/console/nope", "/console/signers/" + "A" * 40 + "/nope", "/console/quarantine/_/x/1/restore",
                 "/console/signers"]:
        for method in ["GET", "OPTIONS", "PUT", "DELETE"]:
            answer = server.curl(server.admin_url + path, "-X", method, **root)
            assert answer.status in (200, 404), (path, method, answer.status)
            assert "default-src 'none'" in answer.headers.get("content-security-policy", ""), (path, method)
            assert answer.headers.get("x-content-type-options") == "nosniff", (path, method)
            assert answer.headers.get("x-frame-options") == "DENY", (path, method)
    assert "text/html" in server.curl(server.admin_url + "/console/nope", **root).headers["content-type"]


def test_an_admin_certificate_with_another_users_basic_login_acts_as_the_certificate(server_factory, htpasswd):
    """F6: the actor shown and audited is the identity that makes the request an admin."""
    server = server_factory(console_config(htpasswd, admin_listen=False))
    page = server.curl("/console/signers", cert="admin", user=":".join(WRITER))
    assert page.status == 200
    assert re.search(r'signed in as ([^<]+)<', page.body.decode()).group(1) == "cert:admin"
    both = server.curl("/console/signers", cert="admin", user=":".join(ROOT))
    assert re.search(r'signed in as ([^<]+)<', both.body.decode()).group(1) == "user:root"

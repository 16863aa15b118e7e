"""Real wikis on loopback for the tests: Debian's MediaWiki 1.39 and DokuWiki under ``php -S``.

Each wiki is installed by its own scripts and served by PHP's built-in server: nothing is
written outside the given folder (no Apache, no /etc), each wiki gets a free 127.0.0.1 port,
and the php process is stopped by its own pid. ``missing_packages()`` says why a wiki cannot
run here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

MW_ROOT = Path("/usr/share/mediawiki")
DW_ROOT = Path("/usr/share/dokuwiki")
DW_SKELETON = Path("/var/lib/dokuwiki/data")
MW_ADMIN = ("Admin", "Admin-pass-12345!")
DW_ADMIN = ("admin", "dw-admin-pass-1")
#: A plain (not super) user of the ACL wikis, in groups ``user`` and ``staff``.
DW_READER = ("fin", "dw-fin-pass-12")
HERE = Path(__file__).parent

#: Packages the tests need, as `.ci/run` installs them.
MEDIAWIKI_PACKAGES = ("php-cli", "php-sqlite3", "php-intl", "php-mbstring", "php-xml", "mediawiki")
DOKUWIKI_PACKAGES = ("php-cli", "php-xml", "dokuwiki")


def missing_packages(kind: str) -> str | None:
    """Why the wiki of ``kind`` cannot run here, or None when it can."""
    php = shutil.which("php")
    packages: tuple[str, ...]
    if kind == "mediawiki":
        needed = [MW_ROOT / "maintenance" / "install.php"]
        packages = MEDIAWIKI_PACKAGES
    else:
        needed = [DW_ROOT / "doku.php", DW_SKELETON]
        packages = DOKUWIKI_PACKAGES
    absent = [str(path) for path in needed if not path.exists()]
    if php is None or absent:
        what = ", ".join((["php"] if php is None else []) + absent)
        return (
            f"the Debian {kind} package is not installed ({what} missing); install it with "
            f"`apt-get install --no-install-recommends {' '.join(packages)}` (.ci/run does)"
        )
    return None


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the wiki must be installed with it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_php(args: list[str], *, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """Run a php command line; fail with its output when it fails."""
    result = subprocess.run(
        ["php", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"php {' '.join(args[:2])} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return result.stdout


@dataclass
class WikiServer:
    """One php built-in server serving a wiki from ``directory``."""

    kind: str
    url: str  # root url, without trailing slash
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self, docroot: Path, probe_path: str, php_options: tuple[str, ...] = ()) -> None:
        """Start ``php -S`` on the url's port and wait until ``probe_path`` answers."""
        port = self.url.rsplit(":", 1)[1]
        log = (self.directory / "php-server.log").open("wb")
        self.process = subprocess.Popen(
            ["php", *php_options, "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"php -S exited: {self.log_tail()}")
            try:
                if httpx.get(self.url + probe_path, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not answer on {self.url}: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return (self.directory / "php-server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the php process started by :meth:`start` (by its pid only)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# -- MediaWiki ---------------------------------------------------------------------------------

_MW_EXTRA_SETTINGS = """
# added by tests/wikis/servers.py
$wgEnableUploads = false;
$wgJobRunRate = 1;
$wgEnableBotPasswords = true;
# A namespace anonymous visitors may not read, the way the Lockdown extension does it
# ($wgNamespacePermissionLockdown works through this same hook); Debian ships no Lockdown.
$wgExtraNamespaces[3000] = 'Internal';
$wgExtraNamespaces[3001] = 'Internal_talk';
$wgHooks['getUserPermissionsErrors'][] = static function ( $title, $user, $action, &$result ) {
    if ( $action === 'read' && $title->getNamespace() === 3000 && !$user->isRegistered() ) {
        $result = [ 'badaccess-group0' ];
        return false;
    }
    return true;
};
"""
_MW_PRIVATE_SETTINGS = """
$wgGroupPermissions['*']['read'] = false;
$wgGroupPermissions['*']['edit'] = false;
$wgGroupPermissions['*']['createaccount'] = false;
$wgWhitelistRead = [ 'Main Page' ];
"""


def install_mediawiki(directory: Path, *, private: bool = False) -> WikiServer:
    """Install a fresh SQLite MediaWiki in ``directory`` seeded from ``mediawiki_seed.xml``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (directory / "data").mkdir(parents=True)
    (directory / "conf").mkdir()
    maintenance = MW_ROOT / "maintenance"
    run_php(
        [
            str(maintenance / "install.php"),
            "--dbtype", "sqlite", "--dbpath", str(directory / "data"), "--dbname", "testwiki",
            "--confpath", str(directory / "conf"), "--server", url, "--scriptpath", "",
            "--lang", "en", "--pass", MW_ADMIN[1], "--skins", "Vector",
            "Test Wiki", MW_ADMIN[0],
        ]
    )  # fmt: skip
    settings = directory / "conf" / "LocalSettings.php"
    extra = _MW_EXTRA_SETTINGS + (_MW_PRIVATE_SETTINGS if private else "")
    with settings.open("a", encoding="utf-8") as file:
        file.write(extra)
    env = {"MW_CONFIG_FILE": str(settings)}
    conf = ["--conf", str(settings)]
    run_php([str(maintenance / "importDump.php"), *conf, str(HERE / "mediawiki_seed.xml")], env=env)
    run_php([str(maintenance / "rebuildrecentchanges.php"), *conf], env=env)
    run_php([str(maintenance / "runJobs.php"), *conf], env=env)
    run_php([str(maintenance / "initSiteStats.php"), *conf, "--update"], env=env)
    server = WikiServer("mediawiki", url, directory, env=env)
    server.start(MW_ROOT, "/api.php?action=query&meta=siteinfo&format=json")
    return server


def create_bot_password(server: WikiServer, app_id: str, password: str) -> str:
    """Create a bot password for Admin; returns the login name ``Admin@<app_id>``."""
    settings = server.env["MW_CONFIG_FILE"]
    run_php(
        [
            str(MW_ROOT / "maintenance" / "createBotPassword.php"),
            "--conf", settings, "--appid", app_id, "--grants", "basic,highvolume",
            MW_ADMIN[0], password,
        ],
        env=server.env,
    )  # fmt: skip
    return f"{MW_ADMIN[0]}@{app_id}"


# -- DokuWiki ----------------------------------------------------------------------------------


def install_dokuwiki(
    directory: Path, *, acl: bool = False, acl_rules: Sequence[str] | None = None
) -> WikiServer:
    """A fresh DokuWiki in ``directory`` (data copied from Debian's skeleton), served on loopback.

    With ``acl`` the wiki is private: only logged-in users read, and only the ``user`` group
    may call the XML-RPC API. ``acl_rules`` (lines of ``acl.auth.php``) turn ACLs on with those
    rules instead. Users: ``admin`` (superuser) and ``fin`` (:data:`DW_READER`, groups
    ``user`` and ``staff``).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    acl_on = acl or acl_rules is not None
    conf = directory / "conf"
    conf.mkdir(parents=True)
    shutil.copytree(DW_SKELETON, directory / "data", symlinks=True)
    prepend = directory / "prepend.php"
    prepend.write_text(
        f"<?php if (!defined('DOKU_CONF')) define('DOKU_CONF', '{conf}/');\n", encoding="utf-8"
    )
    lines = [
        "<?php",
        "$conf['title'] = 'Test DokuWiki';",
        f"$conf['savedir'] = '{directory / 'data'}';",
        "$conf['remote'] = 1;",
        "$conf['useheading'] = 1;",
        f"$conf['useacl'] = {1 if acl_on else 0};",
        f"$conf['remoteuser'] = '{'@user' if acl_on else ''}';",
        "$conf['authtype'] = 'authplain';",
        "$conf['superuser'] = '@admin';",
    ]
    (conf / "local.php").write_text("\n".join(lines) + "\n", encoding="utf-8")
    private = ["*               @ALL          0", "*               @user         8"]
    rules = list(acl_rules) if acl_rules is not None else private if acl else []
    (conf / "acl.auth.php").write_text("\n".join(rules) + "\n", encoding="utf-8")
    users = []
    for (user, password), groups in ((DW_ADMIN, "admin,user"), (DW_READER, "user,staff")):
        hashed = run_php(["-r", f"echo password_hash('{password}', PASSWORD_BCRYPT);"])
        users.append(f"{user}:{hashed}:{user.title()}:{user}@example.com:{groups}\n")
    (conf / "users.auth.php").write_text("".join(users), encoding="utf-8")
    server = WikiServer("dokuwiki", url, directory)
    server.start(DW_ROOT, "/doku.php", ("-d", f"auto_prepend_file={prepend}"))
    return server

"""Rendering of one Asterisk instance's configuration (etc/); data/ is asterisk_data.py.

The static files of `dialplan/` are copied as they are; everything that depends on the
instance (ports, AMI secret, agents, database, directories) goes into `generated_*.conf`
files that the static ones `#include`. Paths handed to Asterisk are paths *inside* the root
(the chroot); paths the Python side touches are host paths (`<root>/<path in root>`).
"""
from __future__ import annotations

import fcntl
import ipaddress
import os
import shutil
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from runtime.sip_acl import ACL_FILE, acl_text
from runtime.asterisk_data import (
    first_existing,
    in_root,
    link_core_data,
    render_moh,
    render_sounds,
)

DIALPLAN_DIR = Path(__file__).resolve().parents[1] / "dialplan"

# Where the Debian package keeps modules, inside the root.
MODULE_DIRS = ("/usr/lib/x86_64-linux-gnu/asterisk/modules", "/usr/lib/asterisk/modules")
PGSQL_MODULES = ("res_config_pgsql.so", "cel_pgsql.so")
# The browser phone of <ext> is endpoint <ext>-web; contracts/phones.py says the same for the controller and
# the console (runtime imports nothing of ours; tests/unit/test_phones.py checks the two agree).
BROWSER_SUFFIX = "-web"


@dataclass(frozen=True)
class DbParams:
    host: str
    port: int
    dbname: str
    user: str
    password: str = ""

    @classmethod
    def from_url(cls, url: str) -> "DbParams":
        """postgresql://user[:password]@host[:port]/dbname -> DbParams. Asterisk connects over
        TCP (a chroot cannot reach the host's Unix sockets): the host defaults to 127.0.0.1."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
            raise ValueError("database URL must look like postgresql://user@host:port/dbname")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                   dbname=unquote(parts.path.strip("/")), user=unquote(parts.username or "postgres"),
                   password=unquote(parts.password or ""))


@dataclass(frozen=True)
class AgentEndpoint:
    ext: str
    password: str


@dataclass(frozen=True)
class PbxOptions:
    sip_port: int
    ami_port: int
    ami_user: str
    ami_secret: str
    agi_port: int
    emergency_uri: str
    trunk_network: str = "127.0.0.0/8"
    outbound_uri: str = "sip:127.0.0.1:5095"   # IVR_OUTBOUND_URI: endpoint citizen-trunk (callbacks)
    db: DbParams | None = None
    agents: tuple[AgentEndpoint, ...] = ()
    sounds_dir: Path | None = None
    extra_dialplan: tuple[Path, ...] = ()
    default_branch: int = 2
    emergency_dial_timeout_s: int = 20
    queue_max_wait_s: int = 300
    menu_repeats: int = 1          # IVR_MENU_REPEATS: menu repeats for a silent caller (issue 12)
    survey: bool = True            # IVR_SURVEY: the post-call survey
    http_port: int | None = None   # IVR_ASTERISK_HTTP_PORT: Asterisk's HTTP/WebSocket server (WebRTC phones)
    webrtc_media_address: str = "127.0.0.1"   # IVR_WEBRTC_MEDIA_ADDRESS: browser phones' RTP (ICE host candidate)
    verbose: int = 3
    nice: int = 0                  # IVR_ASTERISK_NICE: > 0 runs Asterisk at this niceness under SCHED_BATCH


@dataclass(frozen=True)
class InstanceLayout:
    """The directories of one instance, as paths inside the root."""

    base: str          # /var/lib/ivr1022/<name>

    @property
    def etc(self) -> str:
        return f"{self.base}/etc"

    @property
    def spool(self) -> str:
        return f"{self.base}/spool"

    @property
    def run(self) -> str:
        return f"{self.base}/run"

    @property
    def log(self) -> str:
        return f"{self.base}/log"

    @property
    def data(self) -> str:
        return f"{self.base}/data"

    @property
    def varlib(self) -> str:
        return f"{self.base}/lib"

    @property
    def recordings(self) -> str:
        return f"{self.base}/spool/recordings"

    @property
    def messages(self) -> str:
        return f"{self.base}/spool/messages"

    @property
    def asterisk_conf(self) -> str:
        return f"{self.etc}/asterisk.conf"

    @property
    def ctl_socket(self) -> str:
        return f"{self.run}/asterisk.ctl"


class InstanceRenderer:
    """Writes etc/ and data/ of one instance (and creates its other directories)."""

    def __init__(self, root: Path, layout: InstanceLayout, options: PbxOptions) -> None:
        self.root = root
        self.layout = layout
        self.options = options

    def host(self, path_in_root: str) -> Path:
        return in_root(self.root, path_in_root)

    def render(self) -> None:
        layout = self.layout
        for directory in (layout.spool, layout.run, layout.log, layout.data, layout.varlib,
                          layout.recordings, layout.messages, f"{layout.varlib}/keys",
                          f"{layout.data}/agi-bin"):
            self.host(directory).mkdir(parents=True, exist_ok=True)
        etc = self.host(layout.etc)
        if etc.exists():
            shutil.rmtree(etc)
        etc.mkdir(parents=True)
        for source in sorted(DIALPLAN_DIR.glob("*.conf")):
            if source.name.startswith("generated_") or source.name == "asterisk.conf":
                continue
            shutil.copyfile(source, etc / source.name)
        self._write("asterisk.conf", self._asterisk_conf())
        self._write("generated_modules.conf", self._modules())
        self._write("generated_globals.conf", self._globals())
        self._write("generated_manager.conf", self._manager())
        self._write("generated_pjsip.conf", self._pjsip())
        self._write(ACL_FILE, acl_text([]))   # no ban until the controller's SIP guard writes one
        self._write("generated_extconfig.conf", self._extconfig())
        self._write("generated_res_pgsql.conf", self._pgsql_connection("dbhost", "dbport",
                                                                        "dbname", "dbuser",
                                                                        "dbpass"))
        self._write("generated_cel_pgsql.conf", self._pgsql_connection("hostname", "port",
                                                                        "dbname", "user",
                                                                        "password"))
        self._write("generated_extra.conf", self._extra_dialplan(etc))
        self._write("generated_musiconhold.conf", f"directory = {layout.data}/moh\n")
        self._write("generated_http.conf", self._http())
        self._write("generated_rtp.conf", ice_host_candidates(self.options.webrtc_media_address))
        data = self.layout.data
        link_core_data(self.root, data)
        render_sounds(self.root, data, self.options.sounds_dir)
        render_moh(self.root, data, self.options.sounds_dir)

    # -- etc ---------------------------------------------------------------------------

    def _write(self, name: str, text: str) -> None:
        path = self.host(self.layout.etc) / name
        header = f"; {name} — generated by runtime/ for this instance; do not edit.\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(header + text)

    def _asterisk_conf(self) -> str:
        layout = self.layout
        moddir = first_existing(self.root, MODULE_DIRS) or MODULE_DIRS[0]
        directories = (
            "[directories]\n"
            f"astetcdir => {layout.etc}\n"
            f"astmoddir => {moddir}\n"
            f"astvarlibdir => {layout.varlib}\n"
            f"astdbdir => {layout.varlib}\n"
            f"astkeydir => {layout.varlib}\n"
            f"astdatadir => {layout.data}\n"
            f"astagidir => {layout.data}/agi-bin\n"
            f"astspooldir => {layout.spool}\n"
            f"astrundir => {layout.run}\n"
            f"astlogdir => {layout.log}\n"
            f"astsbindir => /usr/sbin\n\n"
        )
        static = (DIALPLAN_DIR / "asterisk.conf").read_text()
        static = static.replace("verbose = 3", f"verbose = {self.options.verbose}")
        return directories + static

    def _modules(self) -> str:
        if self.options.db is None:
            return "; no database: CEL and queue_log stay out of PostgreSQL\n"
        return "".join(f"load = {module}\n" for module in PGSQL_MODULES)

    def _globals(self) -> str:
        options, layout = self.options, self.layout
        return (
            f"DEFAULT_BRANCH = {options.default_branch}\n"
            f"EMERGENCY_TIMEOUT = {options.emergency_dial_timeout_s}\n"
            f"QUEUE_MAX_WAIT = {options.queue_max_wait_s}\n"
            f"MENU_REPEATS = {options.menu_repeats}\n"
            f"SURVEY_ENABLED = {1 if options.survey else 0}\n"
            f"AGI_URL = agi://127.0.0.1:{options.agi_port}\n"
            f"RECORDINGS_DIR = {layout.recordings}\n"
            f"MESSAGES_DIR = {layout.messages}\n"
        )

    def _manager(self) -> str:
        options = self.options
        return (
            f"port = {options.ami_port}\n\n"
            f"[{options.ami_user}]\n"
            f"secret = {options.ami_secret}\n"
            "deny = 0.0.0.0/0.0.0.0\n"
            "permit = 127.0.0.0/255.0.0.0\n"
            "read = system,call,agent,user,security\n"
            "write = system,call,agent,originate,reporting\n"
            "writetimeout = 1000\n"
        )

    def _pjsip(self) -> str:
        options = self.options
        lines = [
            "[transport-udp]",
            "type = transport",
            "protocol = udp",
            f"bind = 127.0.0.1:{options.sip_port}",
            "",
            "[trunk](trunk-endpoint)",
            "",
            "[trunk-identify]",
            "type = identify",
            "endpoint = trunk",
            f"match = {options.trunk_network}",
            "",
            "[emergency](trunk-endpoint)",
            "aors = emergency",
            "",
            "[emergency]",
            "type = aor",
            f"contact = {options.emergency_uri}",
            "",
            *_citizen_trunk(options.outbound_uri),
        ]
        for agent in options.agents:
            _check_token(agent.ext, "agent extension")
            _check_token(agent.password, "agent password")
            lines += [
                f"[{agent.ext}](agent-endpoint)",
                f"auth = {agent.ext}",
                f"aors = {agent.ext}",
                f"callerid = Agent {agent.ext} <{agent.ext}>",
                "",
                f"[{agent.ext}](agent-auth)",
                f"username = {agent.ext}",
                f"password = {agent.password}",
                "",
                f"[{agent.ext}](agent-aor)",
                "",
                *_webrtc_endpoint(agent.ext, options.webrtc_media_address),
            ]
        return "\n".join(lines)

    def _http(self) -> str:
        """Asterisk's HTTP server, loopback only: the console proxies the browsers' WebSocket to it."""
        if self.options.http_port is None:
            return "enabled = no\n"
        return f"enabled = yes\nbindaddr = 127.0.0.1\nbindport = {self.options.http_port}\n"

    def _extconfig(self) -> str:
        if self.options.db is None:
            return "; no database: queue_log is the file <log>/queue_log\n"
        # agency_transfers: the realtime switch of context agent-transfer (migration 024's view).
        return ("queue_log => pgsql,general,queue_log\n"
                "agency_transfers => pgsql,general,agency_transfer_extensions\n")

    def _pgsql_connection(self, host: str, port: str, dbname: str, user: str,
                          password: str) -> str:
        db = self.options.db
        if db is None:
            return "; no database\n"
        text = (f"{host} = {db.host}\n{port} = {db.port}\n{dbname} = {db.dbname}\n"
                f"{user} = {db.user}\n")
        if db.password:
            text += f"{password} = {db.password}\n"
        return text

    def _extra_dialplan(self, etc: Path) -> str:
        lines = []
        for index, source in enumerate(self.options.extra_dialplan):
            name = f"extra_{index}_{Path(source).name}"
            shutil.copyfile(source, etc / name)
            lines.append(f'#include "{name}"')
        return "\n".join(lines) + "\n"


def _citizen_trunk(outbound_uri: str) -> list[str]:
    """Endpoint citizen-trunk: calls to citizens (dialplan citizen-out dials
    PJSIP/<number>@citizen-trunk, so the number is the request-URI's user). Anything it sends us
    lands in from-trunk like any trunk call."""
    return [
        "[citizen-trunk](trunk-endpoint)",
        "aors = citizen-trunk",
        "",
        "[citizen-trunk]",
        "type = aor",
        f"contact = {outbound_uri}",
        "",
    ]


def _webrtc_endpoint(ext: str, media_address: str) -> list[str]:
    """The browser phone of an extension: its own endpoint and AOR (DTLS-SRTP media over the WebSocket
    transport), authenticated with the extension's own credential (auth object <ext>)."""
    name = f"{ext}{BROWSER_SUFFIX}"
    return [
        f"[{name}](webrtc-endpoint)",
        f"auth = {ext}",
        f"aors = {name}",
        f"callerid = Agent {ext} <{ext}>",
        f"media_address = {media_address}",
        "",
        f"[{name}](agent-aor)",
        "",
    ]


def ice_host_candidates(media_address: str) -> str:
    """rtp.conf's [ice_host_candidates]: Asterisk offers a host candidate per address of the host's
    interfaces, loopback never. With media on a loopback address (tests, one machine), each of those is
    advertised as that address instead, where the RTP socket is bound (bind_rtp_to_media_address)."""
    if not ipaddress.ip_address(media_address).is_loopback:
        return "; media on a routable address: Asterisk's own host candidates\n"
    lines = ["[ice_host_candidates]"]
    lines += [f"{address} => {media_address}" for address in host_ipv4_addresses()]
    return "\n".join(lines) + "\n"


def host_ipv4_addresses() -> list[str]:
    """The non-loopback IPv4 address of each network interface (SIOCGIFADDR), as pjlib enumerates them."""
    found: list[str] = []
    for _, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:        # no IPv4 address on this interface
                continue
        address = socket.inet_ntoa(packed[20:24])
        if not address.startswith("127.") and address not in found:
            found.append(address)
    return found


SIOCGIFADDR = 0x8915


def _check_token(value: str, what: str) -> None:
    if not value or any(c in value for c in " \t\r\n;[]=#,"):
        raise ValueError(f"{what} {value!r} cannot go into pjsip.conf")

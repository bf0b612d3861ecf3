"""The nagios/ definitions load in the real tools: ``icinga2 daemon -C`` and ``nagios4 -v``.

Each test writes a minimal main configuration that includes the shipped file unchanged, so a
typo in an attribute, an unknown CheckCommand or a service that references a missing command
fails here. The binaries come from Debian's packages (see tests/components.py).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
from pathlib import Path

import pytest

from tests.components import binary

NAGIOS = Path(__file__).resolve().parent.parent / "nagios"

ICINGA_MAIN = """\
const PluginDir = "/usr/lib/nagios/plugins"
const NodeName = "costctl-test"
const ZoneName = "costctl-test"
include <itl>
include <plugins>
include "{conf}"
object Host "billing" {{
  check_command = "dummy"
  vars.costctl = true
}}
"""

NAGIOS_OBJECTS = """\
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define command {
    command_name notify-none
    command_line /bin/true
}
define command {
    command_name check-host-alive
    command_line /bin/true
}
define contact {
    contact_name                  admin
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    notify-none
    service_notification_commands notify-none
}
define host {
    name                 generic-host
    check_command        check-host-alive
    max_check_attempts   3
    check_period         24x7
    contacts             admin
    notification_period  24x7
    register             0
}
define service {
    name                  generic-service
    max_check_attempts    3
    check_interval        15
    retry_interval        5
    check_period          24x7
    notification_period   24x7
    contacts              admin
    register              0
}
define host {
    use        generic-host
    host_name  localhost
    address    127.0.0.1
}
"""


@pytest.mark.component
def test_icinga2_accepts_the_check_command_and_applies_the_example_services(tmp_path: Path) -> None:
    icinga2 = binary("icinga2", "icinga2-bin")
    main = tmp_path / "icinga2.conf"
    main.write_text(ICINGA_MAIN.format(conf=NAGIOS / "icinga2" / "costctl.conf"))
    dirs = [f"-D{name}={tmp_path}" for name in ("DataDir", "LogDir", "CacheDir", "SpoolDir", "InitRunDir")]
    done = subprocess.run([icinga2, "daemon", "-C", "-c", str(main), *dirs, "-DRunAsUser=root", "-DRunAsGroup=root"],
                          capture_output=True, text=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Instantiated 2 Services." in output, output  # both apply rules matched the host


@pytest.mark.component
def test_icinga2_rejects_a_service_whose_command_is_missing(tmp_path: Path) -> None:
    """The validation above can fail: without costctl.conf the same service is an error."""
    icinga2 = binary("icinga2", "icinga2-bin")
    conf = tmp_path / "broken.conf"
    conf.write_text('apply Service "x" { check_command = "costctl"\n assign where true }\n')
    main = tmp_path / "icinga2.conf"
    main.write_text(ICINGA_MAIN.format(conf=conf))
    dirs = [f"-D{name}={tmp_path}" for name in ("DataDir", "LogDir", "CacheDir", "SpoolDir", "InitRunDir")]
    done = subprocess.run([icinga2, "daemon", "-C", "-c", str(main), *dirs, "-DRunAsUser=root", "-DRunAsGroup=root"],
                          capture_output=True, text=True)
    assert done.returncode != 0


def _nagios_verify(tmp_path: Path, *cfg_files: Path) -> subprocess.CompletedProcess[str]:
    nagios4 = binary("nagios4", "nagios4")
    objects = tmp_path / "objects.cfg"
    objects.write_text(NAGIOS_OBJECTS)
    main = tmp_path / "nagios.cfg"
    lines = [f"cfg_file={path}" for path in (objects, *cfg_files)]
    lines += [f"check_result_path={tmp_path}", f"lock_file={tmp_path / 'nagios.lock'}",
              f"temp_file={tmp_path / 'nagios.tmp'}", f"status_file={tmp_path / 'status.dat'}",
              f"log_file={tmp_path / 'nagios.log'}", "enable_notifications=0"]
    # nagios4 -v drops to its run user before reading object files; pytest's temp dirs are private.
    lines += ["nagios_user=" + pwd.getpwuid(os.getuid()).pw_name, "nagios_group=" + grp.getgrgid(os.getgid()).gr_name]
    main.write_text("\n".join(lines) + "\n")
    return subprocess.run([nagios4, "-v", str(main)], capture_output=True, text=True)


@pytest.mark.component
def test_nagios4_accepts_the_command_and_service_definitions(tmp_path: Path) -> None:
    done = _nagios_verify(tmp_path, NAGIOS / "commands.cfg", NAGIOS / "services.cfg")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Checked 4 services\.", done.stdout), done.stdout
    assert "Total Errors:   0" in done.stdout


@pytest.mark.component
def test_nagios4_rejects_the_services_without_the_commands(tmp_path: Path) -> None:
    done = _nagios_verify(tmp_path, NAGIOS / "services.cfg")
    assert done.returncode != 0
    assert "check_costctl" in done.stdout


def test_icinga2_arguments_cover_every_check_option() -> None:
    """Every long option of `costctl check` has an entry in the CheckCommand's arguments map."""
    from costctl.cli import cli
    from costctl.commands.check import check

    conf = (NAGIOS / "icinga2" / "costctl.conf").read_text()
    # The global options (--config, --demo, -q...) are accepted after `check` too once the CLI has
    # loaded it; they are not check's own (the config travels in COSTCTL_CONFIG).
    global_options = {opt for param in cli.params for opt in param.opts} - {"--timeout", "--verbose"}
    options = {opt for param in check.params for opt in param.opts if opt.startswith("--")} - global_options
    missing = sorted(opt for opt in options - {"--help", "--version"} if f'"{opt}" = {{' not in conf)
    assert missing == []

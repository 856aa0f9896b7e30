"""The `onetrip` command: parse arguments and hand over to the part asked for."""
from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import ConfigError
from core.logs import setup_logging
from core.paths import CONFIG_DIR

# subcommand -> (module with add_arguments(parser) and run(args) -> int, one-line help)
PARTS = {
    "center": ("center.main", "run the hall control center (queue engine, MQTT service, web screens)"),
    "daemon": ("daemon.main", "run a terminal's hardware daemon (drivers, telemetry, local API)"),
    "kiosk": ("kiosk.main", "run the Kivy touchscreen app (speaks only the daemon's local API)"),
    "sim": ("drivers.sim.main", "run device simulators (ID reader, printer, window bus, scanner)"),
    "demo": ("onetrip.demo", "run the whole hall on this machine with simulated devices"),
    "staff": ("center.staff_cli", "staff accounts of the center: add, passwd, lock, unlock, disable, list"),
    "audit": ("center.audit_cli", "the center's audit trail: verify its hash chain, export it as CSV"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Only the chosen part's module is imported: `onetrip center` never loads Kivy."""
    chosen = next((a for a in argv if a in PARTS), None)
    parser = argparse.ArgumentParser(
        prog="onetrip",
        description="OneTrip (最多跑一次): self-service kiosks, devices and queue control for a service hall.",
        epilog=f"Example configs live in {CONFIG_DIR}. Keys can be overridden with ONETRIP__SECTION__KEY=value.",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="part", required=True, metavar="{" + ",".join(PARTS) + "}")
    for name, (module_name, help_text) in PARTS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(p)
        p.set_defaults(module=module_name)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    setup_logging(args.log_level)
    try:
        return int(importlib.import_module(args.module).run(args) or 0)
    except ConfigError as exc:
        print(f"onetrip {args.part}: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

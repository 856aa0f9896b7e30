"""A small daemon for kiosk tests: a real Unix socket speaking the local API with LineCodec.

It answers every op of `core.localapi.OPS` with plausible hall data (the real catalog from
config/catalog), pushes events when a test says a card was placed or the printer ran out
of paper, records every request, and can be killed and restarted on the same path.
"""
from __future__ import annotations

import functools
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from core.localapi import (
    OPS,
    VERSION,
    BadArguments,
    LineCodec,
    LocalApiError,
    check_args,
    check_result,
    event,
    parse_request,
    reply_error,
    reply_ok,
)
from core.sansio import NEED_DATA

PIN = "2468"
NO_SHOW_RULE = "过号30分钟内可到窗口恢复，恢复后按原顺序叫号"  # the hall's rule, as the center words it
# what the center's `case_answer` sends (center/service.py)
CASES = {"20261122000017": {"case_number": "20261122000017", "item_code": "A01", "item": "不动产转移登记（二手房买卖）",
                           "state": "reviewing", "state_name": "审核", "received": "2026-11-22",
                           "promised_by": "2026-11-27", "collect_at": "二楼 A 区 1–12 号窗口",
                           "owed": [{"material": "契税完税凭证", "due": "2026-11-29", "overdue": False}]}}
CARD_CASES = [{"case_number": "20261118000003", "item_code": "B03", "item": "社会保障卡申领", "state": "ready",
               "state_name": "可领取", "received": "2026-11-18", "promised_by": "2026-11-25",
               "collect_at": "一楼 B 区 13–20 号窗口"},
              {"case_number": "20261120000121", "item_code": None, "item": "居住证申领", "state": "accepted",
               "state_name": "受理", "received": "2026-11-20", "promised_by": None, "collect_at": ""}]
EARLY_CODE, NO_BOOKING_CODE = "AP-20261125-0099", "AP-20261125-0404"  # a 12:00 booking; none at all
FINISHED = {"A001": "张*", "B002": "王*"}  # tickets whose service ended, and whose card took them: rated once
TICKET_QR = "https://hall.example.gov.cn/m/t/tQ2x9rVh3mKpLw7sYb1cNd.mj3k0f.Zq8Rw2Lx5Tn7Vb4Hc1Mj9s"  # A001's


@functools.lru_cache(maxsize=1)
def demo_snapshot() -> str:
    """The real catalog (config/catalog) as the center publishes it, built in a child process
    so the kiosk's process, whose memory the bench measures, never loads pypinyin."""
    code = ("import json, sys; from center.catalog_load import load_catalog; "
            "json.dump(load_catalog().to_snapshot(), sys.stdout, ensure_ascii=False)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent).stdout


class Refused(Exception):
    def __init__(self, type_: str, message: str, values: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.type = type_
        self.values = values


class FakeDaemon:
    def __init__(self, socket_path: str | Path, snapshot: dict[str, Any] | None = None) -> None:
        self.path = str(socket_path)
        self.snapshot = snapshot or json.loads(demo_snapshot())
        self.center_reachable = True
        self.devices: dict[str, dict[str, str]] = {"printer": {"state": "online", "reason": ""},
                                                   "idcard": {"state": "online", "reason": ""},
                                                   "scanner": {"state": "online", "reason": ""}}
        self.maintenance = False
        self.card: dict[str, Any] | None = None
        self.lying: dict[str, Any] | None = None  # the card on the reader, remembered or not
        self.code: str | None = None
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.rated: set[str] = set()
        self.seq = itertools.count(23)
        self.queue = [{"letter": c["letter"], "name": c["name"], "waiting": 3 + i * 2, "last_called": f"{c['letter']}017"}
                      for i, c in enumerate(self.snapshot["categories"])]
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.path)
        server.listen(4)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        """As if the daemon died: the socket closes and the path disappears."""
        server, self._server = self._server, None
        if os.path.exists(self.path):
            os.unlink(self.path)  # first, so no reconnect slips in while we close
        if server is not None:
            try:
                server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            server.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._conns)

    def ops(self, name: str) -> list[dict[str, Any]]:
        return [args for op, args in self.requests if op == name]

    # -- what a test makes happen ---------------------------------------------------------

    def push(self, name: str, data: dict[str, Any] | None = None) -> None:
        line = LineCodec.send(event(name, data))
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.sendall(line)
            except OSError:
                pass

    def place_card(self, name: str = "张*", elderly: bool = False) -> None:
        """What daemon/citizen.py sends: masked name and keyed hash, never the number."""
        self.card = {"masked_name": name, "card_type": "resident", "gender": "女", "age": 72 if elderly else 35,
                     "elderly": elderly, "expired": False, "citizen_key": "k-" + name.encode().hex()[:16]}
        self.lying = {"name": name, "elderly": elderly}
        self.push("card_read", self.card)

    def remove_card(self) -> None:
        """The citizen lifts the card (the daemon still remembers it until forgotten)."""
        self.lying = None
        self.push("card_removed", {})

    def card_error(self) -> None:
        self.push("card_error", {"reason": "no_answer"})

    def scan(self, code: str) -> None:
        self.code = code
        self.push("code_scanned", {"code": code})

    def set_printer(self, state: str, reason: str = "") -> None:
        self.devices["printer"] = {"state": state, "reason": reason}
        self.push("device_state", {"device": "printer", "state": state, "reason": reason})

    def set_center(self, reachable: bool) -> None:
        self.center_reachable = reachable
        self.push("center", {"reachable": reachable})

    # -- serving ---------------------------------------------------------------------------

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        codec = LineCodec()
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                break
            if not data:
                break
            codec.receive_data(data)
            while True:
                try:
                    message = codec.next_event()
                except LocalApiError as exc:
                    conn.sendall(LineCodec.send(reply_error(None, "BadRequest", str(exc))))
                    continue
                if message is NEED_DATA:
                    break
                try:
                    conn.sendall(LineCodec.send(self._answer(message)))
                except OSError:
                    break
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
        conn.close()

    def _answer(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            request = parse_request(message)
        except LocalApiError as exc:
            return reply_error(message.get("id"), "BadRequest", str(exc))
        self.requests.append((request.op, request.args))
        try:
            args = check_args(request.op, request.args)  # the real daemon's border, so a kiosk bug shows here
            # and its plausible data is held to the same shapes as the real daemon's
            return reply_ok(request.id, check_result(request.op, getattr(self, f"op_{request.op}")(args)))
        except BadArguments as exc:
            return reply_error(request.id, "BadArguments", str(exc))
        except Refused as exc:
            return reply_error(request.id, exc.type, str(exc), exc.values)

    # -- the ops ---------------------------------------------------------------------------

    def _need_center(self) -> None:
        if not self.center_reachable:
            raise Refused("CenterUnreachable", "center unreachable")

    def _need_printer(self) -> None:
        if self.devices["printer"]["state"] == "offline":
            raise Refused("PrinterNotReady", self.devices["printer"]["reason"] or "offline")

    def _need_identity(self, args: dict[str, Any]) -> None:
        if args.get("use_card") and self.card is None:
            raise Refused("NoCard", "no card on the reader")
        if not args.get("use_card") and not args.get("code"):
            raise Refused("BadRequest", "neither a card nor a code")

    def op_hello(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"version": VERSION, "terminal": "kiosk-test", "role": "kiosk", "hall_name": "示范市市民中心",
                "location": "一楼自助服务区 1号机", "center_reachable": self.center_reachable, "devices": self.devices,
                "card": self.card, "maintenance": self.maintenance, "catalog_hash": self.snapshot["hash"],
                "queue": {"categories": self.queue}}

    def op_catalog(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.snapshot

    def op_queue_summary(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need_center()
        return {"categories": self.queue}

    def op_take_number(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need_center()
        self._need_printer()
        self._need_identity(args)
        letter = args["category"]
        category = next(c for c in self.snapshot["categories"] if c["letter"] == letter)
        waiting = next(q["waiting"] for q in self.queue if q["letter"] == letter)
        return {**self._ticket(letter, category["name"], category["window_area"]), "ahead": waiting,
                "wait_min": waiting * 2, "wait_max": waiting * 3 + 5, "printed": True}

    def _ticket(self, letter: str, name: str, window_area: str) -> dict[str, Any]:
        """A just-issued ticket in the center's own shape (core/answers.py)."""
        n = next(self.seq)
        return {"ticket_id": str(n), "ticket_ref": f"fake-ref-{n:08d}", "number": f"{letter}{n:03d}",
                "category": letter, "category_name": name, "service": name, "ahead": 0,
                "window_area": window_area, "qr": f"https://hall.example/m/t/fake-ref-{n:08d}",
                "no_show_rule": NO_SHOW_RULE}

    def op_check_in(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need_center()
        self._need_printer()
        self._need_identity(args)
        if args.get("code") == EARLY_CODE:  # as the center refuses a booking more than 30 min ahead
            raise Refused("TooEarly", "too early for your appointment: please check in from 11:30",
                          {"come_back_at": "11:30"})
        if args.get("code") == NO_BOOKING_CODE:
            raise Refused("NoAppointment", "no appointment found for today")
        return {**self._ticket("A", "不动产登记", "二楼 A 区 1–12 号窗口"), "slot": "10:00-10:30",
                "appointment": args.get("code") or "AP-20261125-0042", "timing": "early",
                "note": "您的预约时段 10:00-10:30，时段开始后优先叫号", "printed": True}

    def op_lookup_case(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need_center()
        if args.get("use_card"):
            self._need_identity(args)
            return {"cases": CARD_CASES}
        case = CASES.get(str(args.get("case_number")))
        if case is None:  # as the center answers an unknown number
            raise Refused("UnknownCase", f"no case {args.get('case_number')!r}")
        return {"cases": [case]}

    def op_print_checklist(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("service") or not all(m.get("name") for m in args.get("materials", [])):
            raise Refused("BadArguments", "print_checklist needs a service and named materials")
        self._need_printer()
        return {"printed": True}

    def op_rate(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need_center()
        ticket = "A001" if args.get("ticket_token") == TICKET_QR.rsplit("/", 1)[1] else args.get("ticket")
        if "ticket_token" in args and ticket is None:
            raise Refused("NotTheirsToRate", "not this hall's ticket QR")
        if "ticket" in args and ticket in FINISHED and (self.card or {}).get("masked_name") != FINISHED[ticket]:
            raise Refused("NotTheirsToRate", f"ticket {ticket} can be rated only with the card that took it")
        if ticket in self.rated:
            raise Refused("AlreadyRated", "the service of this ticket has already been rated (一次一评)")
        if ticket not in FINISHED:
            raise Refused("NotRateable", "nothing to rate: not served to the end")
        if args["level"] <= 2 and not args.get("reasons"):
            raise Refused("ReasonRequired", "a 差评 needs a reason")
        self.rated.add(ticket)
        return {"recorded": True, "pending": False}

    def op_call_helper(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"queued": True}

    def op_device_states(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"devices": self.devices}

    def op_read_card(self, args: dict[str, Any]) -> dict[str, Any]:
        """As the reader does: the card still lying there (`lying`) is read again."""
        if self.lying is None:
            return {"reading": False}
        self.place_card(**self.lying)
        return {"reading": True}

    def op_forget_citizen(self, args: dict[str, Any]) -> dict[str, Any]:
        self.card, self.code = None, None
        return {"forgotten": True}

    def op_maintenance(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("enter") and args.get("pin") != PIN:
            raise Refused("NotAllowed", "wrong PIN")
        self.maintenance = bool(args.get("enter"))
        return {"maintenance": self.maintenance}

    def op_test_print(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.maintenance:
            raise Refused("NotAllowed", "maintenance mode only")
        self._need_printer()
        return {"printed": True}

    def op_paper_changed(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.maintenance:
            raise Refused("NotAllowed", "maintenance mode only")
        return {"tickets_since_paper": 0}


assert all(hasattr(FakeDaemon, f"op_{op}") for op in OPS), "the fake daemon answers every op"

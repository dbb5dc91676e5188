"""A network receipt printer on loopback: a real TCP server that records what it is sent and
decodes the ESC/POS stream into text lines, cuts and drawer pulses.

The decoder knows the commands the till sends (through python-escpos) and refuses any
other, so a change in what goes to the printer shows here instead of passing unseen.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

ESC, GS, LF = 0x1B, 0x1D, 0x0A


@dataclass
class Printout:
    """One connection's job, decoded."""

    lines: list[str] = field(default_factory=list)
    cuts: int = 0
    pulses: list[int] = field(default_factory=list)  # drawer pins kicked, in order
    initialised: bool = False
    fed: int = 0  # lines fed by ESC d
    qr: list[str] = field(default_factory=list)  # QR codes stored and printed (GS ( k), in order

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class UnknownCommand(ValueError):
    pass


def decode(data: bytes) -> Printout:
    out, line, codepage, i = Printout(), bytearray(), "cp437", 0
    stored = ""
    while i < len(data):
        b = data[i]
        if b == ESC:
            op = data[i + 1]
            if op == ord("@"):  # initialise
                out.initialised, i = True, i + 2
            elif op == ord("t"):  # select character code table
                codepage, i = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}.get(data[i + 2], "cp437"), i + 3
            elif op == ord("p"):  # pulse: ESC p m t1 t2, m = 0 (pin 2) or 1 (pin 5)
                out.pulses.append(2 if data[i + 2] in (0, 48) else 5)
                i += 5
            elif op == ord("d"):  # print and feed n lines
                out.fed += data[i + 2]
                i += 3
            else:
                raise UnknownCommand(f"ESC {op:#x} at byte {i}")
        elif b == GS:
            op = data[i + 1]
            if op == ord("V"):  # cut: GS V m, or GS V m n when m is 65 or 66
                m = data[i + 2]
                i += 4 if m in (65, 66) else 3
                out.cuts += 1
            elif op == ord("(") and data[i + 2] == ord("k"):  # 2D code: GS ( k pL pH cn fn params
                size = data[i + 3] + 256 * data[i + 4]
                cn, fn, params = data[i + 5], data[i + 6], data[i + 7 : i + 5 + size]
                if cn != 49:  # 49: QR code; nothing else is sent
                    raise UnknownCommand(f"GS ( k for symbol {cn} at byte {i}")
                if fn == 80:  # store the data (m = 48, then the content)
                    stored = params[1:].decode("ascii")
                elif fn == 81:  # print what was stored
                    out.qr.append(stored)
                elif fn not in (65, 67, 69):  # model, module size, error correction
                    raise UnknownCommand(f"GS ( k function {fn} at byte {i}")
                i += 5 + size
            else:
                raise UnknownCommand(f"GS {op:#x} at byte {i}")
        elif b == LF:
            out.lines.append(line.decode(codepage))
            line, i = bytearray(), i + 1
        else:
            line.append(b)
            i += 1
    if line:
        out.lines.append(line.decode(codepage))
    return out


class PrinterDouble:
    """Listens on 127.0.0.1:<free port>; every connection is one job (`jobs`, `printouts`)."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.jobs: list[bytes] = []
        self._got_job = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def printouts(self) -> list[Printout]:
        return [decode(job) for job in self.jobs]

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[Printout]:
        """Wait until `count` jobs have arrived whole (the till closed each connection)."""
        with self._got_job:
            if not self._got_job.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise AssertionError(f"the printer got {len(self.jobs)} job(s), expected {count}")
        return self.printouts

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            with conn:
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            with self._got_job:
                self.jobs.append(b"".join(chunks))
                self._got_job.notify_all()

    def close(self) -> None:
        self._server.close()

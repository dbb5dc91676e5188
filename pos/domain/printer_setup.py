"""Where the receipt printer is: a kind (network, USB, serial) and an address, as the owner types
them in Settings. Plain data; the ESC/POS adapter turns it into a device."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import PosError


class PrinterSetupError(PosError, ValueError):
    """The kind or address cannot be a printer; the message is in the owner's words."""


NETWORK_PORT = 9100
SERIAL_BAUD = 9600


class PrinterKind(StrEnum):
    NONE = ""
    NETWORK = "network"
    USB = "usb"
    SERIAL = "serial"


@dataclass(frozen=True)
class PrinterSetup:
    """Where the receipt printer is: `kind` and an address in the form that kind takes."""

    kind: PrinterKind = PrinterKind.NONE
    host: str = ""
    port: int = NETWORK_PORT
    usb_vendor: int = 0
    usb_product: int = 0
    device: str = ""  # serial device, /dev/ttyUSB0 or COM3
    baud: int = SERIAL_BAUD

    @property
    def configured(self) -> bool:
        return self.kind is not PrinterKind.NONE

    def describe(self) -> str:
        if self.kind is PrinterKind.NETWORK:
            return f"the printer at {self.host}:{self.port}"
        if self.kind is PrinterKind.USB:
            return f"the USB printer {self.usb_vendor:04x}:{self.usb_product:04x}"
        if self.kind is PrinterKind.SERIAL:
            return f"the printer on {self.device}"
        return "no printer"

    @classmethod
    def parse(cls, kind: str, address: str) -> PrinterSetup:
        """The setup from Settings' two fields; PrinterSetupError (in the owner's words) if it cannot be."""
        try:
            chosen = PrinterKind(kind)
        except ValueError:
            raise PrinterSetupError(f"“{kind}” is not a kind of printer (network, usb or serial).") from None
        address = address.strip()
        if chosen is PrinterKind.NONE:
            return cls()
        if not address:
            raise PrinterSetupError("Give the printer's address (see the examples beside the field).")
        if chosen is PrinterKind.NETWORK:
            match = re.fullmatch(r"([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?", address)
            port = int(match.group(2)) if match and match.group(2) else NETWORK_PORT
            if match is None or not 0 < port < 65536:
                raise PrinterSetupError(
                    f"“{address}” is not a network address (try 192.168.1.50 or printer.local:9100)."
                )
            return cls(chosen, host=match.group(1).strip("[]"), port=port)
        if chosen is PrinterKind.USB:
            match = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})", address)
            if match is None:
                raise PrinterSetupError(f"“{address}” is not a USB id (vendor:product in hex, like 04b8:0202).")
            return cls(chosen, usb_vendor=int(match.group(1), 16), usb_product=int(match.group(2), 16))
        match = re.fullmatch(r"([^@\s]+)(?:@(\d{3,7}))?", address)
        if match is None:
            raise PrinterSetupError(f"“{address}” is not a serial device (like /dev/ttyUSB0 or COM3@19200).")
        return cls(chosen, device=match.group(1), baud=int(match.group(2) or SERIAL_BAUD))

    @property
    def address(self) -> str:
        """The setup as Settings shows it (what `parse` reads back)."""
        if self.kind is PrinterKind.NETWORK:
            return self.host if self.port == NETWORK_PORT else f"{self.host}:{self.port}"
        if self.kind is PrinterKind.USB:
            return f"{self.usb_vendor:04x}:{self.usb_product:04x}"
        if self.kind is PrinterKind.SERIAL:
            return self.device if self.baud == SERIAL_BAUD else f"{self.device}@{self.baud}"
        return ""

"""The command line beside the GUI: catalog import/export, receipts export, recovery, the GUI itself."""

from __future__ import annotations

import argparse
import csv
import json
import signal
import sys
import threading

from pos.window_cli import name_argument, path_argument, run_window, window_args, window_options


def build_parser() -> argparse.ArgumentParser:
    from pos import __version__

    parser = window_options(
        argparse.ArgumentParser(prog="pos", description="Point-of-sale till with Stripe card payments.")
    )
    # What a support call asks first; also the floor of a command's start (bench/open.py): the
    # interpreter, pos.cli and its parser, nothing of the till's file.
    parser.add_argument("--version", action="version", version=f"pos {__version__}")
    sub = parser.add_subparsers(dest="command")

    catalog = sub.add_parser("catalog", help="import or export the product catalog (CSV)")
    catalog_sub = catalog.add_subparsers(dest="action", required=True)
    imp = catalog_sub.add_parser("import", help="import FILE.csv (sku,barcode,name,category,price,tax_rate)")
    imp.add_argument("file", type=path_argument)
    exp = catalog_sub.add_parser("export", help="export the catalog to FILE.csv ('-' for standard output)")
    exp.add_argument("file", type=name_argument)

    stock = sub.add_parser("stock", help="what is on the shelf: levels, deliveries, counts, the ledger")
    stock_sub = stock.add_subparsers(dest="action", required=True)
    slevels = stock_sub.add_parser("levels", help="on-hand of every product that tracks stock")
    slevels.add_argument("--format", choices=("csv", "json"), default="csv")
    sreceive = stock_sub.add_parser("receive", help="receive a delivery from FILE.csv (sku,quantity[,cost])")
    sreceive.add_argument("file", type=path_argument)
    scount = stock_sub.add_parser("count", help="a count from FILE.csv (sku,counted): print the variance, apply it")
    scount.add_argument("file", type=path_argument)
    scount.add_argument("--dry-run", action="store_true", help="only print the variance")
    stransfer = stock_sub.add_parser(
        "transfer", help="send the goods of FILE.csv (sku,quantity) to another location of the shop"
    )
    stransfer.add_argument("file", type=path_argument)
    stransfer.add_argument("--to", required=True, help="the location they go to (its tills take them in on sync)")
    smoves = stock_sub.add_parser("movements", help="the stock ledger, oldest first")
    smoves.add_argument("--from", dest="first", help="first day (YYYY-MM-DD, the store's calendar)")
    smoves.add_argument("--to", dest="last", help="last day (YYYY-MM-DD)")
    smoves.add_argument("--format", choices=("csv", "json"), default="csv")

    receipts = sub.add_parser("receipts", help="receipts on record")
    receipts_sub = receipts.add_subparsers(dest="action", required=True)
    rexp = receipts_sub.add_parser("export", help="write every receipt as CSV or JSON")
    rexp.add_argument("--format", choices=("csv", "json"), default="csv")
    rexp.add_argument("--output", type=name_argument, help="file to write (default: standard output)")

    sub.add_parser("recover", help="settle unfinished payments against Stripe; non-zero if a person must look")

    report = sub.add_parser("report", help="the day's figures: sales, refunds, net, tax by rate, cards, hours")
    report.add_argument("--date", required=True, help="the local calendar date, YYYY-MM-DD")
    report.add_argument("--format", choices=("text", "csv", "json"), default="text")

    sub.add_parser("self-test", help="ring up and pay a sale offscreen on the embedded sandbox; exit 0 if all works")

    doctor_words = (
        "check the till's database in full (it writes no record; after a till was killed, its write-ahead "
        "log is put into the file, as the till's next start would); with --live, compare the embedded "
        "sandbox with Stripe"
    )
    doctor = sub.add_parser("doctor", help=doctor_words, description=doctor_words[0].upper() + doctor_words[1:] + ".")
    doctor.add_argument(
        "--live",
        action="store_true",
        help="instead, run the till's own flows against Stripe (needs internet and a test key; "
        "--stripe-base-url points it elsewhere) and against the embedded sandbox",
    )

    config = sub.add_parser("config", help="the Stripe key (kept in the OS keyring)")
    config_sub = config.add_subparsers(dest="action", required=True)
    config_sub.add_parser("set-key", help="read a test key from standard input, check it with Stripe, store it")
    config_sub.add_parser("show", help="print the mode and the masked key")
    config_sub.add_parser("remove-key", help="delete the key from the keyring (back to demo mode)")

    cashiers = sub.add_parser("cashiers", help="who works the till: names, roles and PINs")
    cashiers_sub = cashiers.add_subparsers(dest="action", required=True)
    add = cashiers_sub.add_parser("add", help="add a cashier; the PIN (4–8 digits) is read from standard input, twice")
    add.add_argument("name")
    add.add_argument("--role", choices=("cashier", "manager", "owner"), default="cashier")
    cashiers_sub.add_parser("list", help="every cashier, their role and whether they can sign in")
    disable = cashiers_sub.add_parser("disable", help="a cashier who has left: they can no longer sign in")
    disable.add_argument("name")
    set_pin = cashiers_sub.add_parser("set-pin", help="a new PIN for a cashier, read from standard input, twice")
    set_pin.add_argument("name")

    audit = sub.add_parser("audit", help="the tamper-evident audit trail")
    audit_sub = audit.add_subparsers(dest="action", required=True)
    audit_sub.add_parser(
        "verify", help="walk the chain and the records it covers: exit 0 intact, 1 broken, 2 unreadable"
    )
    aexp = audit_sub.add_parser("export", help="the events as JSON lines, for an accountant")
    aexp.add_argument("--from", dest="first", help="first day (YYYY-MM-DD, the store's calendar)")
    aexp.add_argument("--to", dest="last", help="last day, included")
    aexp.add_argument("--output", type=name_argument, help="write to this file instead of standard output")

    settings = sub.add_parser("settings", help="this till's store settings (till id, store name, …)")
    settings_sub = settings.add_subparsers(dest="action", required=True)
    settings_sub.add_parser("show", help="every setting and its value")
    sset = settings_sub.add_parser("set", help="change one setting, e.g. `pos settings set till_id T2`")
    sset.add_argument("name")
    sset.add_argument("value")

    returns = sub.add_parser("returns", help="goods taken back without a receipt (a manager's right)")
    returns_sub = returns.add_subparsers(dest="action", required=True)
    take = returns_sub.add_parser(
        "take",
        help="take goods back with no receipt: recorded as an UNVERIFIED return, given in cash or as store credit",
    )
    take.add_argument("--amount", required=True, help="what is given back, e.g. 4.50")
    take.add_argument("--item", required=True, help="what the customer brought back")
    given = take.add_mutually_exclusive_group(required=True)
    given.add_argument("--cash", action="store_true", help="in cash from the drawer")
    given.add_argument("--store-credit", action="store_true", help="as a store-credit code (printed alone on a line)")

    sync = sub.add_parser(
        "sync",
        help="one round with the shop database: send what is waiting, take its catalog and settings; exit 0 "
        "when nothing is left",
    )
    sync.add_argument(
        "--batch",
        type=_batch_size,
        help="audit events sent in one shop transaction (1 to 1000000, default 10000; fewer on a slow link)",
    )
    giftcards = sub.add_parser("giftcards", help="gift cards: issue one, check a balance, list them")
    giftcards_sub = giftcards.add_subparsers(dest="action", required=True)
    gissue = giftcards_sub.add_parser("issue", help="a new card holding AMOUNT (no sale); prints its code")
    gissue.add_argument("--amount", required=True, help="what the card holds, e.g. 20.00")
    gbalance = giftcards_sub.add_parser("balance", help="what the card with CODE holds")
    gbalance.add_argument("code")
    gbalance.add_argument("--format", choices=("text", "json"), default="text")
    glist = giftcards_sub.add_parser("list", help="every card and its balance")
    glist.add_argument("--format", choices=("csv", "json"), default="csv")
    giftcards_sub.add_parser(
        "expire",
        help="take what is left off every gift card whose expiry day has come (once; see the "
        "gift_card_expiry_months setting: none by default)",
    )

    shop = sub.add_parser("shop", help="the shop database shared by several tills")
    shop_sub = shop.add_subparsers(dest="action", required=True)
    sreport = shop_sub.add_parser("report", help="a day's figures across every till, and each till's (by_till)")
    sreport.add_argument("--date", required=True, help="the local calendar date, YYYY-MM-DD")
    sreport.add_argument("--format", choices=("text", "csv", "json"), default="text")
    sstock = shop_sub.add_parser(
        "stock", help="on-hand per location and product, from every till's stock movements at the shop"
    )
    sstock.add_argument("--location", help="only this location's (default: every location's)")
    sstock.add_argument("--format", choices=("csv", "json"), default="csv")
    shop_sub.add_parser(
        "verify",
        help="check the figures the shop report reads against every receipt at the shop (exit 1 if one differs)",
    )
    shop_sub.add_parser(
        "set-password", help="read the shop database's password from standard input and keep it in the OS keyring"
    )
    set_ca = shop_sub.add_parser(
        "set-ca",
        help="keep FILE, the CA certificate (PEM) that signs the shop server's certificate, in the data folder; "
        "the till checks the server with it (owner only, recorded)",
    )
    set_ca.add_argument("file", type=path_argument)
    plaintext = shop_sub.add_parser(
        "allow-plaintext",
        help="on a trusted network only: reach the shop database without verified TLS (owner only, recorded)",
    )
    plaintext.add_argument("--off", action="store_true", help="withdraw the opt-out: verified TLS only, again")
    return parser


# `pos sync --batch`'s ceiling: a batch is read into memory and sent in one shop transaction, and
# SQLite's LIMIT holds no more than a 64-bit integer (beyond it the round raised OverflowError).
MOST_EVENTS_A_BATCH = 1_000_000


def _batch_size(given: str) -> int:
    """`pos sync --batch`: a whole number of events, 1 to MOST_EVENTS_A_BATCH (argparse says a
    refusal in one line)."""
    try:
        size = int(given)
    except ValueError:
        size = 0
    if not 1 <= size <= MOST_EVENTS_A_BATCH:
        raise argparse.ArgumentTypeError(
            f"{given!r} is not a number of events (a whole number from 1 to {MOST_EVENTS_A_BATCH:,})"
        )
    return size


def _back_office(args):
    from pos.app import open_back_office
    from pos.paths import default_data_dir

    office = getattr(args, "office", None)
    if office is not None:
        args.office = None  # the one `--as` signed into: its handler uses it (and closes it)
        return office
    return open_back_office(
        args.data_dir or default_data_dir(), getattr(args, "shop_db", None), shop_batch=getattr(args, "batch", None)
    )


def _report_office(args):
    """The till's settings and reports alone (pos/reading.py): what `pos report` reads, without the
    back office's other services and their imports."""
    from pos.paths import default_data_dir
    from pos.reading import ReportOffice

    return ReportOffice(args.data_dir or default_data_dir(), args.shop_db)


def gated_commands() -> dict[tuple[str, str | None], object]:
    """Every command that changes something, and the right (pos/domain/staff.py, the window's rules)
    the person named by `--as` needs once the till has cashiers. A new mutating subcommand adds a row.

    Open to all: what only reads (lists, shows, exports of receipts, reports, verify, doctor,
    but not the list of gift card codes,
    self-test), `sync` (it sends what the till recorded and takes what the shop decided) and
    `recover` (it finishes payments the till started, as the window does at start with nobody
    signed in).
    """
    from pos.domain.staff import Permission

    return {
        ("catalog", "import"): Permission.CATALOG,
        ("stock", "receive"): Permission.CATALOG,
        ("stock", "transfer"): Permission.CATALOG,
        # A count changes stock by its variance: a manager approves it (the person signed in by `--as`).
        ("stock", "count"): Permission.STOCK_COUNT,
        ("cashiers", "add"): Permission.STAFF,
        ("cashiers", "disable"): Permission.STAFF,
        ("cashiers", "set-pin"): Permission.STAFF,
        ("settings", "set"): Permission.SETTINGS,
        ("config", "set-key"): Permission.STRIPE_KEY,
        ("config", "remove-key"): Permission.STRIPE_KEY,
        ("audit", "export"): Permission.REPORTS,
        ("shop", "set-password"): Permission.SHOP_LINK,
        ("shop", "set-ca"): Permission.SHOP_LINK,
        ("shop", "allow-plaintext"): Permission.SHOP_LINK,
        ("returns", "take"): Permission.RETURN_WITHOUT_RECEIPT,
        ("giftcards", "issue"): Permission.ISSUE_GIFT_CARD,
        ("giftcards", "list"): Permission.LIST_GIFT_CARDS,  # reads, but every code in it spends
        ("giftcards", "expire"): Permission.EXPIRE_GIFT_CARDS,
    }


def _read_first_line(prompt: str) -> str:
    """One line of standard input (hidden when typed at a terminal): a PIN or a key, never argv."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _gate(args) -> int | None:
    """`pos --as NAME`: once cashiers are on file, a command in `gated_commands` runs only for a
    person with its right, signed in by the PIN on standard input's first line; their name is then
    on what it records. None: go on; else the exit code (one line on stderr said why)."""
    permission = gated_commands().get((args.command, getattr(args, "action", None)))
    if permission is None:
        if args.as_name:
            command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
            return _needs_no_as(f"`pos {command}`")
        return None
    # Imported once a command needs a right: one that only reads (`pos report`) loads none of it.
    from pos.domain.staff import StaffError

    from pos.adapters.db.storage import DB_FILE
    from pos.paths import default_data_dir

    if not ((args.data_dir or default_data_dir()) / DB_FILE).exists() and not args.as_name:
        return None  # no till database, so no cashiers: nothing to open (`config set-key` makes none)
    office = _back_office(args)
    args.office = office
    if not office.staff.required:
        if args.as_name:
            print("error: there are no cashiers on file: run it without --as", file=sys.stderr)
            return 1
        return None
    if not args.as_name:
        print(
            f"error: this till has cashiers: run it as one who may {permission}, "
            f"`pos --as NAME {args.command} …` with their PIN on the first line of standard input",
            file=sys.stderr,
        )
        return 1
    pin = _read_first_line(f"PIN for {args.as_name}: ").strip()
    if not pin:
        # Nothing typed or piped (an empty stdin in a script) is no guess at the PIN: it does not
        # count toward the lock, which five such runs would have set on a manager.
        print(
            f"error: no PIN for {args.as_name} on the first line of standard input. Nothing was changed.",
            file=sys.stderr,
        )
        return 1
    try:
        office.staff.act_as(args.as_name, pin, permission)
    except StaffError as exc:
        print(f"error: {str(exc).rstrip('.')}. Nothing was changed.", file=sys.stderr)
        return 1
    return None


def _needs_no_as(what: str) -> int:
    """`--as` on a command (or the window) that asks nobody (it only reads, or is open to all: `gated_commands`): a
    mistake on the command line, refused like any other (exit 2), not run with the name ignored, which
    would leave the PIN on standard input unread and the reader thinking NAME was checked."""
    print(f"error: {what} needs no --as: run it without --as (and without a PIN)", file=sys.stderr)
    return 2


def cmd_catalog(args) -> int:
    from pos.services.catalog import NotImported

    office = _back_office(args)
    try:
        if args.action == "import":
            if not args.file.is_file():
                print(f"error: no such file: {args.file}", file=sys.stderr)
                return 2
            result = office.catalog.import_file(args.file)
            if isinstance(result, NotImported):
                print(f"error: {args.file}: {result.message}. Nothing was imported.", file=sys.stderr)
                return 1
            print(f"{args.file}: {result.summary.describe()}")
            if office.shop is not None:
                # Against the shop database: the import goes up now, so every till takes it on its next sync.
                synced = office.shop.round()
                if synced.problem is None:
                    print(f"Sent to the shop database ({synced.pushed.products} products).")
                else:
                    print(f"Kept at this till; it goes to the shop database on the next sync ({synced.problem})")
            return 0
        if args.file == "-":
            office.catalog.export(sys.stdout)
            return 0
        with open(args.file, "w", newline="", encoding="utf-8") as handle:
            count = office.catalog.export(handle)
        print(f"Exported {count} products to {args.file}.", file=sys.stderr)
        return 0
    finally:
        office.close()


def cmd_stock(args) -> int:
    from pos.domain.catalog import CatalogImportError, csv_cell
    from pos.domain.money import Money
    from pos.domain.stock import StockError, format_quantity

    path = getattr(args, "file", None)
    if path is not None and not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    days = _day_range(args)
    if days is None:
        return 2
    first, last = days
    office = getattr(args, "office", None) or _back_office(args)
    try:
        stock, currency = office.stock, office.settings.currency
        if args.action in ("levels", "movements"):
            if args.action == "levels":
                rows = [
                    {
                        "sku": lv.sku,
                        "name": lv.name,
                        "unit": lv.unit.value,
                        "on_hand": format_quantity(lv.on_hand_milli, lv.unit),
                        "low_stock": "" if lv.low_stock_milli is None else format_quantity(lv.low_stock_milli, lv.unit),
                        "below": lv.below,
                    }
                    for lv in stock.levels()
                ]
            else:
                rows = [
                    {
                        "id": m.id,
                        "at": m.at,
                        "sku": m.sku,
                        "kind": m.kind.value,
                        "quantity": format_quantity(m.quantity_milli, m.unit),
                        "unit": m.unit.value,
                        "cost": "" if m.cost_minor is None else Money(m.cost_minor, currency).major_text(),
                        "who": m.who,
                        "why": m.why,
                    }
                    for m in stock.movements(first, last)
                ]
            if args.format == "json":
                print(json.dumps(rows, indent=2, ensure_ascii=False))
            else:
                columns = (
                    list(rows[0])
                    if rows
                    else (
                        ["sku", "name", "unit", "on_hand", "low_stock", "below"]
                        if args.action == "levels"
                        else ["id", "at", "sku", "kind", "quantity", "unit", "cost", "who", "why"]
                    )
                )
                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([csv_cell(str(v).lower() if isinstance(v, bool) else v) for v in row.values()])
            return 0
        if args.action == "receive":
            received = stock.receive_file(args.file)
            print(f"{args.file}: {received.describe()}")
            return 0
        if args.action == "transfer":
            here = office.settings.location
            sent = stock.transfer_file(args.file, args.to, here)
            print(
                f"{args.file}: sent {sent.lines} lines from {here} to {args.to.strip()}; "
                "they arrive there once this till has synced with the shop database."
            )
            return 0
        counted = stock.read_count(args.file)
        # Without cashiers on file nobody signs in: the person at the command line stands for the manager.
        approver = office.staff.current.name if office.staff.current is not None else "back office"
        variances = stock.count(counted, approved_by=approver, apply=not args.dry_run)
        for v in variances:
            print(
                f"{v.sku}: expected {format_quantity(v.expected_milli, v.unit)}, counted "
                f"{format_quantity(v.counted_milli, v.unit)}, variance {format_quantity(v.difference_milli, v.unit)}"
            )
        print("Dry run: nothing was changed." if args.dry_run else f"Applied {len(variances)} counted lines.")
        return 0
    except CatalogImportError as exc:
        print(f"error: {args.file}: {exc}. Nothing was changed.", file=sys.stderr)
        return 1
    except StockError as exc:
        print(f"error: {exc}. Nothing was changed.", file=sys.stderr)
        return 1
    finally:
        office.close()
        args.office = None


def cmd_receipts(args) -> int:
    from pos.domain.catalog import csv_cell
    from pos.services.receipts import EXPORT_COLUMNS

    office = _back_office(args)
    out = sys.stdout
    try:
        # Opened inside the try: an output that cannot be written still closes the till's file cleanly.
        out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
        if args.format == "csv":
            # One row per receipt: its tenders are in the by-tender columns (the JSON lists each).
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            for row in office.receipts.export_rows():
                writer.writerow({key: csv_cell(value) for key, value in row.items()})
        else:
            out.write("[")
            for n, row in enumerate(office.receipts.export_rows()):
                out.write(("," if n else "") + "\n  " + json.dumps(row))
            out.write("\n]\n")
    finally:
        if out is not sys.stdout:
            out.close()
        office.close()
    return 0


def cmd_giftcards(args) -> int:
    """Gift cards from the command line, on the same service as the counter; one line on failure. One
    rule for every giftcards command: exit 2 when what was typed is wrong whatever the till holds (an
    amount that is not one, or that no card may hold: nothing, less, too many decimals, above the
    counter's limit; a code that cannot be one), as for any other mistake on the command line; exit 1
    when the till refuses it for what it holds or reaches (no such card, the shop away, a right)."""
    import uuid

    from pos.domain.catalog import csv_cell
    from pos.domain.giftcards import BadCode, check_card_amount, format_code, unreadable_expiry_message
    from pos.domain.money import Money
    from pos.domain.text import printable
    from pos.services.giftcards import GiftCardError

    office = _back_office(args)
    try:
        if args.action == "issue":
            try:
                amount = Money.parse(args.amount, office.settings.currency)
                check_card_amount(amount)  # the counter's rule (the service asks it again): fixed, not the till's state
            except ValueError as exc:  # MoneyError is one; the value, if shown, is quoted printably
                print(f"error: --amount: {str(exc).rstrip('.')}. No card was issued.", file=sys.stderr)
                return 2
            card = office.gift_cards.issue(amount, f"pos-cli-{uuid.uuid4().hex}-issue")
            print(format_code(card.code))
            print(f"holds {card.balance}{' (at the shop)' if card.shop else ''}", file=sys.stderr)
            return 0
        if args.action == "balance":
            card = office.gift_cards.balance(args.code)
            if args.format == "json":
                row = {"code": format_code(card.code), "balance_minor": card.balance.minor}
                row = {**row, "currency": card.balance.currency}
                if card.expires_on:
                    row["expires_on"] = card.expires_on
                if card.expiry_unreadable():  # taken as no expiry (Card.expiry)
                    row["expiry_unreadable"] = True
                print(json.dumps(row))
            else:
                ends = ""
                if card.expiry_unreadable():  # taken as no expiry (Card.expiry): the owner is told why
                    ends = f" ({unreadable_expiry_message(card)})"
                elif card.expires_on:
                    past = card.expired(office.gift_cards.today())
                    day = printable(card.expires_on)  # the shop's row is another program's to write too
                    ends = f" (expired on {day})" if past else f" (expires on {day})"
                print(f"{format_code(card.code)}: {card.balance}{ends}")
            return 0
        if args.action == "expire":
            return _expire_gift_cards(office)
        rows = [
            {
                "code": format_code(card.code),
                "purpose": card.purpose.value,
                "balance_minor": card.balance.minor,
                "currency": card.balance.currency,
                "issued_at": card.issued_at,
                "held_at": "shop" if card.shop else "till",
                "expires_on": card.expires_on,
            }
            for card in office.gift_cards.cards()
        ]
        if args.format == "json":
            print(json.dumps(rows, indent=2))
        else:
            # The shop's rows are another program's or an owner's to write (its expiry may be anything):
            # the cells as every export's (no formula a spreadsheet runs), the expiry printable as
            # `balance` prints it (no control character reaches the terminal).
            writer = csv.DictWriter(sys.stdout, fieldnames=GIFT_CARD_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(
                {key: csv_cell(printable(value) if key == "expires_on" else value) for key, value in row.items()}
                for row in rows
            )
        return 0
    except BadCode as exc:  # what was typed cannot be a code: the command line is wrong, as a bad --amount
        print(f"error: {str(exc).rstrip('.')}.", file=sys.stderr)
        return 2
    except GiftCardError as exc:  # refused: no such card, a rule, the shop away
        print(f"error: {str(exc).rstrip('.')}.", file=sys.stderr)
        return 1
    finally:
        office.close()


GIFT_CARD_COLUMNS = ("code", "purpose", "balance_minor", "currency", "issued_at", "held_at", "expires_on")


def _expire_gift_cards(office) -> int:
    """`pos giftcards expire`: one line per card whose expiry day has come and that held money (its
    last four characters: the code spends nothing now), then the sum; exit 1 if the shop's cards could
    not be reached (the till's were expired all the same; run it again)."""
    from pos.domain.money import Money
    from pos.domain.text import printable

    done, away = office.gift_cards.expire_due()
    for card, entry in done:
        print(f"card …{card.code[-4:]}: {entry.amount} expired (its day was {printable(card.expires_on)})")
    if done:
        total = Money(sum(entry.amount.minor for _card, entry in done), done[0][1].amount.currency)
        print(f"Expired {len(done)} gift card{'s' if len(done) != 1 else ''}: {total} taken off.")
    else:
        print("No gift card past its expiry day holds money: nothing to expire.")
    if away:
        print(f"error: {away.rstrip('.')}.", file=sys.stderr)
        return 1
    return 0


def cmd_recover(args) -> int:
    from pos.app import build_context
    from pos.services.settlement import settle_unfinished

    context = build_context(
        args.data_dir or _default_dir(),
        stripe_base_url=args.stripe_base_url,
        profile=args.profile,
        purpose="pos recover",
    )
    try:
        settled = settle_unfinished(context.till, context.refunds)
    finally:
        context.close()
    if not settled.messages:
        print("No unfinished payments.")
    for message in settled.messages:
        print(message)
    return 1 if settled.needs_person else 0


def cmd_returns(args) -> int:
    """`pos returns take`: the returns service's rules, as the window's (services/returns.py); the
    person `--as` names (checked by the gate) is the approving manager it records."""
    from pos.adapters.db import audit as audit_db
    from pos.app import build_context
    from pos.domain.money import Money, MoneyError
    from pos.services.returns import Returned, ReturnFailed, amount_problem, note_problem

    office = getattr(args, "office", None)
    if office is not None:  # the gate's, only to check `--as`: the till's own context takes the folder
        office.close()
        args.office = None
    context = build_context(
        args.data_dir or _default_dir(),
        stripe_base_url=args.stripe_base_url,
        profile=args.profile,
        purpose="pos returns",
    )
    # The till's context opens with nobody signed in: the person the gate checked takes the goods back
    # (the record's cashier, the events' actor), as the one signed in at the window does.
    audit_db.set_actor(args.as_name or "")
    try:
        try:
            amount = Money.parse(args.amount, context.settings.currency)
        except MoneyError:
            print(
                f"error: type the amount like 4.50 ({context.settings.currency}), not {args.amount!r}", file=sys.stderr
            )
            return 2
        wrong = amount_problem(amount)
        if wrong:  # wrong whatever the till holds: exit 2, as the giftcards commands answer such an amount
            print(f"error: --amount: {wrong.rstrip('.')}. Nothing was given back.", file=sys.stderr)
            return 2
        wrong = note_problem(args.item)
        if wrong:  # so is a note no return may keep (blank, a page long, a control character)
            print(f"error: {wrong}", file=sys.stderr)
            return 2
        returns = context.refunds.returns
        assert returns is not None  # the till's context always has them
        result = returns.give_back(amount, args.item, to_store_credit=args.store_credit, approved_by=args.as_name or "")
    finally:
        context.close()
    if isinstance(result, Returned):
        record = result.record
        given = "as store credit" if record.store_credit_code else "in cash"
        print(f"Took it back: {record.amount} {given} (unverified return, refund {record.refund_no:04d}).")
        if record.store_credit_code:
            print(record.store_credit_code)
        return 0
    print(("error: " if isinstance(result, ReturnFailed) else "") + result.message, file=sys.stderr)
    return 1


def _key_manager(args):
    import os

    from pos.adapters.secrets import KeyringStore
    from pos.app import PROFILE_ENV, check_stripe_key
    from pos.services.keys import KeyManager

    store = KeyringStore(args.profile or os.environ.get(PROFILE_ENV) or "default")
    return KeyManager(store, lambda key: check_stripe_key(key, args.stripe_base_url))


def cmd_config(args) -> int:
    from pos.settings_text import describe_key
    from pos.services.keys import KeyRefused

    keys = _key_manager(args)
    if args.action == "show":
        state = keys.current()
        print(describe_key(state))
        if state.warning:
            print(state.warning, file=sys.stderr)
        return 0
    if args.action == "remove-key":
        state = keys.remove()
        if state.warning:
            print(f"error: {state.warning}", file=sys.stderr)
            return 1
        print("Key removed. " + describe_key(state))
        return 0
    # set-key: from standard input only, never argv (other users can read a process's arguments).
    if sys.stdin.isatty():
        import getpass

        key = getpass.getpass("Stripe test key (sk_test_… or rk_test_…): ")
    else:
        key = sys.stdin.readline()
    try:
        state = keys.save(key)
    except KeyRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if state.source != "keyring":
        # A command ends with its process: a session-only key would be lost at once.
        print(f"error: the key was not stored. {state.warning}", file=sys.stderr)
        return 1
    print(f"Key {state.masked} checked with Stripe and stored in the OS keyring.")
    return 0


def cmd_doctor(args) -> int:
    if not args.live:
        return _doctor_storage(args)
    from pos.adapters.stripe_gateway import STRIPE_API
    from pos.adapters.stripe_probe import Probe
    from pos.domain.api_keys import classify, mask
    from pos.sandbox import running_sandbox
    from pos.services.doctor import compare, render_table

    key = _key_manager(args).current().key
    if not key:
        print(
            "error: pos doctor --live needs a Stripe test key: set one with `pos config set-key` or "
            "POS_STRIPE_API_KEY.",
            file=sys.stderr,
        )
        return 2
    verdict = classify(key)
    if not verdict.accepted:
        print(f"error: {verdict.reason}", file=sys.stderr)
        return 2
    live_url = args.stripe_base_url or STRIPE_API
    currency = _store_currency(args)
    print(f"Comparing {live_url} with the embedded sandbox, key {mask(key)}, {currency}…", file=sys.stderr)
    live = Probe(key, live_url, currency).run()
    with running_sandbox() as sandbox:
        local = Probe(key, sandbox.url, currency).run()
    rows = [
        row for (step, theirs), (_same, ours) in zip(live, local, strict=True) for row in compare(step, theirs, ours)
    ]
    name = "stripe" if args.stripe_base_url is None else "live"
    print(render_table(rows, name), end="")
    return 0 if all(row.agrees for row in rows) else 1


def _doctor_storage(args) -> int:
    """SQLite's full check of the till's file (a start after a clean close skips it): 0 sound, 1 damaged.
    It writes no record; after a kill its close puts the log into the file (check_storage_fully)."""
    from pos.app import check_storage_fully
    from pos.paths import default_data_dir

    found = check_storage_fully(args.data_dir or default_data_dir())
    if not found.sound:
        print(f"error: {found.text}", file=sys.stderr)
        return 1
    print(found.text)
    return 0


def _store_currency(args) -> str:
    from pos.services.sales import StorageError

    try:
        office = _back_office(args)
    except (StorageError, OSError):
        return "USD"  # no data folder to read: any currency Stripe takes will do for a comparison
    try:
        return office.settings.currency
    finally:
        office.close()


def cmd_report(args) -> int:
    from pos.domain.catalog import csv_cell
    from pos.domain.report import render_report_text

    day = _parse_day(args.date)
    if day is None:
        print(f"error: --date takes a date like 2026-11-26, not {args.date!r}", file=sys.stderr)
        return 2
    office = _report_office(args)
    try:
        settings = office.settings
        report = office.reports.for_date(day)
    finally:
        office.close()
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("section", "item", "value"))
        writer.writerows(tuple(csv_cell(cell) for cell in row) for row in report.csv_rows())
    else:
        print(render_report_text(report, settings.store_name, locale=settings.locale), end="")
    return 0


def _parse_day(text: str):
    """A calendar date, or None. Not the calendar's first or last day: a day's bounds in the store's
    time zone may fall in year 0 or 10000, which no date holds (the command failed unexpectedly)."""
    from datetime import MAXYEAR, MINYEAR, date

    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if MINYEAR < day.year < MAXYEAR else None


def _day_range(args):
    """--from and --to as (first, last) days, either None when not given; None after saying in one line
    why not (the caller exits 2). A range that ends before it starts is refused: it used to select
    nothing and exit 0, which reads as "no events" to an accountant who swapped the two."""
    given = [getattr(args, "first", None), getattr(args, "last", None)]
    first, last = (_parse_day(text) if text else None for text in given)
    if (given[0] and first is None) or (given[1] and last is None):
        print("error: --from and --to take dates like 2026-11-26", file=sys.stderr)
        return None
    if first is not None and last is not None and first > last:
        print(f"error: --from {first} is after --to {last}: the first day comes first", file=sys.stderr)
        return None
    return first, last


def cmd_settings(args) -> int:
    from dataclasses import asdict

    from pos.services.settings import SettingsError

    office = _back_office(args)
    try:
        current = office.settings
        if args.action == "show":
            for name, shown in asdict(current).items():
                print(f"{name} = {shown}")
            print(f"shop database = {'joined' if office.shop is not None else 'none (a single till)'}")
            if office.shop is not None:
                print(f"shop link = {office.shop_security}")
            return 0
        try:
            if args.name == "till_id":  # the settings service's rule, as the Settings dialog asks it
                note = office.store_settings.check_till_id(office.shop, args.value)
                if note:
                    print(f"warning: {note}", file=sys.stderr)
            # The Settings dialog's rules, in the settings service: one set for both doors.
            saved = office.store_settings.change(args.name, args.value)
        except SettingsError as exc:
            print(f"error: {str(exc).rstrip('.')}. Nothing was changed.", file=sys.stderr)
            return 1
        print(f"{args.name} = {getattr(saved, args.name)}")
        if args.name.startswith("printer_") and saved.printer_kind and not saved.printer.configured:
            print("No printer is used until printer_address is set too.")
        elif args.name.startswith("printer_") and saved.printer_address and not saved.printer_kind:
            print("No printer is used until printer_kind is set too (network, usb or serial).")
        return 0
    finally:
        office.close()


def _no_shop() -> int:
    print("error: no shop database: give --shop-db postgresql://user@host/shop or set POS_SHOP_DB", file=sys.stderr)
    return 2


def cmd_sync(args) -> int:
    office = _back_office(args)
    try:
        if office.shop is None:
            return _no_shop()
        result = office.shop.round()
    finally:
        office.close()
    pushed, pulled, waiting = result.pushed, result.pulled, result.waiting
    print(
        f"Sent {pushed.receipts} receipts, {pushed.refunds} refunds and {pushed.events} events in all, "
        f"{pushed.products} product and {pushed.settings} setting edits; took {pulled.products} products and "
        f"{pulled.settings} settings from the shop."
    )
    for note in pulled.skipped:
        print(f"warning: {note}", file=sys.stderr)
    for flagged in pushed.over_refunds:
        print(f"error: {flagged}", file=sys.stderr)
    for aside in pulled.set_aside:
        print(f"error: set aside, not taken from the shop: {aside}", file=sys.stderr)
    if result.problem is not None:
        print(
            f"error: {result.problem.rstrip('.')}. Waiting: {waiting.receipts} receipts, {waiting.refunds} refunds, "
            f"{waiting.events} events, {waiting.catalog_edits} catalog or setting edits.",
            file=sys.stderr,
        )
        return 1
    if not waiting.nothing:
        print(f"error: {waiting.events} events are still waiting (new ones were written meanwhile)", file=sys.stderr)
        return 1
    return 1 if pushed.over_refunds or pulled.set_aside else 0


def cmd_shop(args) -> int:
    from pos.domain.catalog import csv_cell
    from pos.domain.report import render_report_text
    from pos.services.shop import ShopUnreachable

    office = _back_office(args)
    try:
        if args.action in ("set-ca", "allow-plaintext"):
            return _shop_link(office, args)  # chosen before the till joins a shop, too
        if office.shop is None:
            return _no_shop()
        if args.action == "set-password":
            return _set_shop_password(args)
        if args.action == "stock":
            return _shop_stock(office, args)
        if args.action == "verify":
            return _shop_verify(office)
        day = _parse_day(args.date)
        if day is None:
            print(f"error: --date takes a date like 2026-11-26, not {args.date!r}", file=sys.stderr)
            return 2
        settings = office.settings
        try:
            shop, by_till = office.shop.report(day, settings.currency)
            flagged = office.shop.over_refunds()
        except ShopUnreachable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    finally:
        office.close()
    if args.format == "json":
        by = {t: r.as_json() for t, r in by_till.items()}
        print(json.dumps({**shop.as_json(), "by_till": by, "over_refunded": flagged}, indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        cells: list[tuple[object, ...]] = [("till", "section", "item", "value")]
        cells.extend(("shop", *row) for row in shop.csv_rows())
        for till, report in by_till.items():
            cells.extend((till, *row) for row in report.csv_rows())  # other tills' ids, as they gave them
        cells.extend(("shop", "over_refunded", n + 1, line) for n, line in enumerate(flagged))
        writer.writerows(tuple(csv_cell(cell) for cell in row) for row in cells)
    else:
        print(render_report_text(shop, f"{settings.store_name} — every till", locale=settings.locale), end="")
        for till, report in by_till.items():
            print()
            print(render_report_text(report, f"Till {till}", locale=settings.locale), end="")
        for line in flagged:
            print(f"Over-refund: {line}")
    return 0


def _guess_unit(milli: int):
    from pos.domain.stock import Unit

    return Unit.KG if milli % 1000 else Unit.EACH


def _shop_verify(office) -> int:
    from pos.services.shop import ShopUnreachable

    try:
        differ = office.shop.figure_differences()
    except ShopUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in differ:
        print(f"Differs: {line}")
    if differ:
        print("The shop report's figures differ from the receipts: call support (the receipts are kept as they are).")
        return 1
    print("The shop report's figures agree with every receipt at the shop.")
    return 0


def _shop_stock(office, args) -> int:
    """`pos shop stock`: the shop's levels per location, each in this till's unit for the product."""
    from pos.domain.catalog import csv_cell
    from pos.domain.stock import format_quantity
    from pos.services.shop import ShopUnreachable

    try:
        found = office.shop.stock_levels(args.location.strip() if args.location else None)
    except ShopUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    units = {lv.sku: lv.unit for lv in office.stock.levels()}
    # A product this till does not stock: whole when it is, else to the gram.
    rows = [
        {"location": loc, "sku": sku, "on_hand": format_quantity(milli, units.get(sku, _guess_unit(milli)))}
        for loc, sku, milli in found
    ]
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["location", "sku", "on_hand"])
    writer.writerows([csv_cell(v) for v in row.values()] for row in rows)
    return 0


def _set_shop_password(args) -> int:
    from pos.adapters.shop.connect import parse_url, store_password
    from pos.app import shop_database

    url = parse_url(shop_database(args.shop_db) or "")
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Password of {url.username}@{url.host} for the shop database: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        print("error: no password was given; nothing was stored", file=sys.stderr)
        return 1
    store_password(url, password)
    print("The shop database's password is in the OS keyring.")
    return 0


def _shop_link(office, args) -> int:
    """`pos shop set-ca FILE` and `pos shop allow-plaintext [--off]`: the owner's, recorded."""
    from pos.adapters.shop.connect import keep_ca, read_ca

    pem = read_ca(args.file) if args.action == "set-ca" else b""  # a file that is no CA changes nothing
    # Once cashiers exist, `_gate` has let only an owner through (`pos --as NAME`, Permission.SHOP_LINK):
    # the link's trust is the owner's alone, as the Stripe key is; their name is on the record.
    approved_by = office.staff.current.name if office.staff.current is not None else ""
    record = office.shop_link
    if args.action == "set-ca":
        sha256 = keep_ca(office.data_dir, pem)
        record.ca_kept(sha256, approved_by)
        print(
            f"The shop's CA (SHA-256 {sha256[:16]}…) is kept in the data folder: this till reaches the shop "
            "database over TLS and checks the server's certificate with it."
        )
    elif args.off:
        record.allow_plaintext(False, approved_by)
        print("This till reaches the shop database over verified TLS only (recorded in the audit trail).")
    else:
        record.allow_plaintext(True, approved_by)
        print(
            "This till may now reach the shop database without verified TLS (recorded in the audit trail): "
            "anyone on the network can read what it sends. `pos shop allow-plaintext --off` ends it."
        )
    return 0


def _read_pin(prompt: str) -> str:
    """A PIN from standard input: typed twice (hidden on a terminal), never from argv."""
    first, second = _read_first_line(prompt).strip(), _read_first_line("Again: ").strip()
    if first != second:
        raise ValueError("the two PINs typed differ")
    return first


def cmd_cashiers(args) -> int:
    from pos.domain.staff import StaffError

    office = _back_office(args)
    try:
        staff = office.staff
        if args.action == "list":
            people = staff.cashiers()
            if not people:
                print("No cashiers: the till opens straight to the sale screen.")
            for person in people:
                state = "active" if person.active else "disabled"
                if person.active and person.locked_until:
                    state = f"locked until {person.locked_until[:16]} UTC (wrong PINs)"
                print(f"{person.name}\t{person.role}\t{state}")
            return 0
        if args.action == "disable":
            staff.disable(args.name)
            print(f"{args.name} can no longer sign in.")
            return 0
        try:
            pin = _read_pin(f"PIN for {args.name} (4–8 digits): ")
            if args.action == "add":
                added = staff.add(args.name, args.role, pin)
                print(f"Added {added.name} ({added.role}). The till now opens on sign-in.")
            else:
                staff.set_pin(args.name, pin)
                print(f"New PIN set for {args.name}.")
        except (StaffError, ValueError) as exc:
            print(f"error: {str(exc).rstrip('.')}. Nothing was changed.", file=sys.stderr)
            return 1
        return 0
    except StaffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        office.close()


def cmd_audit(args) -> int:
    from pos.services.sales import StorageError

    days = _day_range(args)
    if days is None:
        return 2
    first, last = days
    try:
        office = _back_office(args)
    except StorageError as exc:
        print(f"error: the audit trail cannot be read: {exc}", file=sys.stderr)
        return 2
    try:
        if args.action == "verify":
            try:
                broken = office.audit.verify()
            except StorageError as exc:
                print(f"error: the audit trail cannot be read: {exc}", file=sys.stderr)
                return 2
            if broken is not None:
                print(f"BROKEN at {broken}")
                return 1
            events = sum(1 for _ in office.audit.export(None, None))
            print(f"The audit trail is intact: {events} events; every receipt and refund is in it.")
            return 0
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
        try:
            for event in office.audit.export(first, last):
                out.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
        finally:
            if args.output:
                out.close()
        return 0
    finally:
        office.close()


def cmd_self_test(_args) -> int:
    from pos.selftest import main as self_test

    return self_test()


def _data_dir_env_refused() -> str | None:
    from pos.paths import data_dir_env_refused

    return data_dir_env_refused()


def _default_dir():
    from pos.paths import default_data_dir

    return default_data_dir()


def _quiet_logging() -> None:
    """Command-line runs log warnings to stderr, through the same redaction as the GUI's log."""
    import logging

    from pos.adapters.logs import RedactingFilter

    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("stripe").setLevel(logging.WARNING)


def main(argv: list[str], *, window_read: bool = False) -> int:
    """Run the command argv names. window_read: pos.__main__ has read argv with window_args already
    (and found a command, or a window given --as), so it is not read that way twice."""
    args = (None if window_read else window_args(argv)) or build_parser().parse_args(argv)
    if args.data_dir is None and (env_refused := _data_dir_env_refused()) is not None:
        print(f"pos: error: {env_refused}", file=sys.stderr)  # as argparse says a --data-dir it refuses
        return 2
    if args.command is not None:
        _quiet_logging()
        previous = _stop_on_sigterm()
        try:
            refused = _gate(args)
            return refused if refused is not None else _handlers()[args.command](args)
        except Exception as exc:  # noqa: BLE001 - the command line fails with one line, never a traceback
            return _one_line_failure(exc)
        finally:
            try:
                office = getattr(args, "office", None)
                if office is not None:  # opened by `--as` for a handler that needed none of its own
                    office.close()
            finally:
                if previous is not None:
                    signal.signal(signal.SIGTERM, previous)
    if args.as_name:  # the window signs its cashiers in on its own screen
        return _needs_no_as("the window (it signs cashiers in on its own screen)")
    return run_window(args)


def _stop_on_sigterm():
    """SIGTERM (kill, systemd, a shutdown) ends a command as an error does: SystemExit(143) unwinds
    it, so its transactions roll back and its `finally` closes the till's file cleanly (Python's
    default ends the process on the spot, leaving its session row as a SIGKILL does, so the next
    start read the whole file). The previous handler, to put back; None off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, stop)


def _one_line_failure(exc: Exception) -> int:
    import logging

    from pos.adapters.folder_lock import FolderInUse
    from pos.domain.errors import PosError

    if isinstance(exc, FolderInUse):
        print(f"error: {exc} It settles its own payments; stop it first to run this command.", file=sys.stderr)
    elif isinstance(exc, PosError):  # refused by a rule or a service: its message says why, in the cashier's words
        print(f"error: {str(exc).rstrip('.')}.", file=sys.stderr)
    elif isinstance(exc, OSError):
        print(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}", file=sys.stderr)
    else:
        logging.getLogger(__name__).debug("command failed", exc_info=exc)
        print(f"error: the command failed unexpectedly ({type(exc).__name__}); nothing more was done.", file=sys.stderr)
    return 1


def _handlers():
    return {
        "catalog": cmd_catalog,
        "stock": cmd_stock,
        "receipts": cmd_receipts,
        "recover": cmd_recover,
        "config": cmd_config,
        "self-test": cmd_self_test,
        "report": cmd_report,
        "doctor": cmd_doctor,
        "cashiers": cmd_cashiers,
        "audit": cmd_audit,
        "settings": cmd_settings,
        "sync": cmd_sync,
        "shop": cmd_shop,
        "returns": cmd_returns,
        "giftcards": cmd_giftcards,
    }

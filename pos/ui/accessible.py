"""What a screen reader says of each control (Qt's accessibility, issue 28 item 6): a name and a
description of what it does.

Qt names a button by its text and a field by the form label it is the buddy of; a field, list or
table with neither, a symbol button (−, +) or a button whose text is an amount has no name, and
nothing has a description unless it is given one (a tooltip counts). This table gives them, by the
objectName every control already has (stable: the tests and the theme use the same names). The main
window applies it as each widget is first polished (in the application event filter it already has
for the idle lock: a second Python filter would double the cost of every event), so a control built
later, a product tile or a dialog opened from a menu, is covered too. A name or description
set at the widget itself (`widgets.spoken`, a tooltip) is kept: the table only fills what is empty.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QWidget

# objectName: (name, description); an empty name keeps Qt's (the control's text, or its form label).
SPOKEN: dict[str, tuple[str, str]] = {
    # the sale screen
    "categoryTabs": ("Product categories", "Shows the products of a category. Left and right arrows change it."),
    "productButton": ("", "Adds this product to the cart."),
    "openDrawerButton": ("Open drawer", "Opens the cash drawer without a sale; every opening is recorded."),
    "customAmountButton": ("Custom amount", "An item without a barcode: type its price."),
    "payButton": ("", "Takes the payment for the cart (F12)."),
    "discountButton": ("", "A discount on the selected line or the whole sale, with a reason."),
    "signOutButton": ("", "Signs the cashier out; the next one signs in."),
    "giftCardAmountField": ("Gift card amount", "The amount to load on a new gift card, or to add to one."),
    "giftCardReloadCodeField": ("Gift card to reload", "A gift card to add the amount to; empty sells a new one."),
    "sellGiftCardButton": ("", "Adds the gift card to the cart; it is loaded when the sale is paid."),
    "retryKeyringButton": ("", "Reads the Stripe key from the keyring again."),
    "sessionKeyButton": ("", "Type the Stripe key for this session only; it is not saved."),
    # the payment dialog
    "cardTenderButton": ("", "Pay by card (F5)."),
    "cashTenderButton": ("", "Pay in cash (F6); F7 takes the exact amount."),
    "giftCardTenderButton": ("", "Pay with a gift card or store credit."),
    "splitTenderButton": ("", "Pay in parts: an amount at a time, each by cash or card."),
    "splitAmountField": ("", "The amount of this part; less than due leaves the rest to pay."),
    "splitCashButton": ("", "Takes this part in cash."),
    "splitCardButton": ("", "Takes this part by card."),
    "testToolsToggle": ("", "Test mode only: shows or hides the test payment methods and the simulated customer."),
    "exactCashButton": ("", "The customer handed over the exact amount due: takes it at once (F7)."),
    "keypadKey": ("", "Types this key into the field above."),
    "keypadEnter": ("", "Enter: takes what the field above holds."),
    "cardAmountField": ("Amount to charge to the card", "Less than due splits the bill."),
    "paymentMethodList": ("Test payment method", "Test mode only: the card to charge. Enter charges it."),
    "chargeButton": ("", "Charges the chosen test payment method."),
    "cardReaderButton": ("", "Sends the amount to the card reader; the customer taps, inserts or swipes."),
    "cancelReaderButton": ("", "Cancels the payment waiting on the card reader."),
    "simulateCardList": ("Test card to present", "Test mode only: the card the simulated customer presents."),
    "simulateTipField": ("Simulated tip", "Test mode only: a tip the simulated customer adds."),
    "simulateCardButton": ("", "Test mode only: the customer presents the chosen card on the reader."),
    "cashTenderedField": ("Cash handed over", "What the customer handed over; Enter takes it and shows the change."),
    "quickCash": ("", "The customer handed over this amount: takes it at once."),
    "completeCashButton": ("", "Takes the cash typed above."),
    "giftCardCodeField": ("Gift card code", "The code on the gift card or store-credit slip."),
    "checkGiftCardButton": ("", "Shows the card's balance before paying with it."),
    "giftCardRedeemAmountField": ("Amount from the gift card", "Empty takes what the card covers."),
    "redeemGiftCardButton": ("", "Pays with the gift card."),
    "cancelPaymentButton": ("", "Stops the payment; a sale paid in part is voided only after asking."),
    "receiptView": ("Receipt", "The paid sale's receipt."),
    "newSaleButton": ("", "Closes the receipt and starts the next sale (Ctrl+N)."),
    # the customer display (the customer reads and taps it)
    "customerDisplayLines": ("", "What is rung up, as it is rung up."),
    "receiptChoice_print": ("", "Your receipt is printed."),
    "receiptChoice_none": ("", "No receipt."),
    # discounts, prices, counts
    "discountOnLine": ("", "The discount applies to the selected line."),
    "discountOnCart": ("", "The discount applies to the whole sale."),
    "discountKind": ("Discount kind", "A percentage or an amount off."),
    "discountValue": ("Discount", "The percentage or the amount off."),
    "discountReason": ("Discount reason", "Why the discount is given; it is printed and recorded."),
    "applyDiscountButton": ("", "Applies the discount."),
    "removeDiscountButton": ("", "Takes the discount off."),
    "count": ("", "How many of this coin or note are in the drawer."),
    "useCountButton": ("", "Uses the counted total as the cash counted."),
    "openPriceField": ("", "The price, in the store's currency; Enter adds the line."),
    "openPriceOk": ("", "Adds the line at the price typed."),
    "weightField": ("", "The weight in kg; Enter adds the line."),
    "weightOk": ("", "Adds the line at the weight typed."),
    "quantityField": ("", "How many of the line; Enter sets it."),
    "quantityOk": ("", "Sets the line to the quantity typed."),
    # sign-in and approvals
    "cashierList": ("Cashier", "Who is signing in."),
    "pinField": ("PIN", "The cashier's PIN; it is never shown or kept."),
    "signInButton": ("", "Signs in with the PIN typed."),
    "approvalPinField": ("Manager's PIN", "The approving manager's PIN; it is never shown or kept."),
    "approverList": ("Manager", "Who approves."),
    "approveButton": ("", "Approves with the manager's PIN."),
    "cancelApprovalButton": ("", "Does not approve; nothing changes."),
    # the drawer
    "cashMovementKind": ("Kind of cash movement", "Opening float, paid in or paid out."),
    "cashMovementAmount": ("Amount", "How much cash goes in or out of the drawer."),
    "cashMovementReason": ("Reason", "Why the cash goes in or out; it is recorded."),
    "recordCashMovementButton": ("", "Records the movement and opens the drawer."),
    # receipts, refunds, returns
    "receiptSearchKind": ("Search receipts by", "What the search box looks for."),
    "receiptSearchField": ("Search receipts", "A receipt number, card, amount or product, as chosen."),
    "receiptDateFrom": ("From", "The first day searched."),
    "receiptDateTo": ("To", "The last day searched."),
    "receiptSearchButton": ("", "Searches the receipts."),
    "receiptScope": ("Which till's receipts", "This till's receipts, or the shop's."),
    "receiptList": ("Receipts", "The receipts found; the chosen one is shown beside."),
    "receiptDetail": ("Receipt", "The chosen receipt as printed."),
    "paperChoice": ("Paper", "The receipt paper a reprint or PDF is laid out for."),
    "reprintButton": ("", "Prints the chosen receipt again, marked as a copy."),
    "exportPdfButton": ("", "Saves the chosen receipt as a PDF."),
    "refundButton": ("", "Refunds items or an amount of the chosen receipt."),
    "exchangeButton": ("", "Takes items of the chosen receipt back as credit on a new sale."),
    "returnWithoutReceiptButton": ("", "Takes an item back without a receipt: a manager approves."),
    "refundByLines": ("", "Refund chosen items and quantities."),
    "refundByAmount": ("", "Refund an amount."),
    "refundLineTable": ("Items to refund", "The receipt's items; set how many of each come back."),
    "returnToStock": ("Return to stock", "The items go back on the shelf."),
    "refundAmountField": ("Amount to refund", "The amount given back."),
    "refundReason": ("Refund reason", "Why the refund is given; it is recorded."),
    "refundReceiptView": ("Receipt", "The receipt being refunded."),
    "refundToStoreCredit": ("", "The refund is a store-credit code instead of money back."),
    "confirmRefundButton": ("", "Gives the refund back to the tenders that paid."),
    "handOverCashButton": ("Hand over the cash", "Records the cash refund as handed over, and opens the drawer."),
    "returnNoteField": ("What is returned", "The item and why; it is recorded."),
    "returnAmountField": ("Amount", "What the customer gets back."),
    "returnSlipView": ("Return slip", "The slip printed for the return."),
    "returnInCash": ("", "The customer gets cash back from the drawer."),
    "returnToStoreCredit": ("", "The customer gets a store-credit code to spend later."),
    "confirmReturnButton": ("", "Takes the item back."),
    # reports
    "xReportButton": ("", "The day's takings so far; the day stays open."),
    "zReportButton": ("", "Closes the day with its takings."),
    "reportView": ("Report", "The report as printed."),
    "reportPaperChoice": ("Paper", "The paper the report is laid out for."),
    "printReportButton": ("", "Prints the report."),
    "exportReportPdfButton": ("", "Saves the report as a PDF."),
    "exportReportCsvButton": ("", "Saves the report's figures as CSV."),
    "countedCashField": ("Cash counted", "The cash in the drawer as counted, for the Z report."),
    "countDenominationsButton": ("", "Counts the drawer note by note and coin by coin."),
    # catalog and stock
    "catalogSearchField": ("Search the catalog", "A name, SKU or barcode."),
    "productTable": ("Products", "The catalog; the chosen product is edited below."),
    "productSkuField": ("", "The product's SKU; it never changes once saved."),
    "productBarcodeField": ("", "The barcode scanned at the till (optional)."),
    "productNameField": ("", "The name on the tile and the receipt."),
    "productCategoryField": ("", "The tab the product shows under."),
    "productPriceField": ("", "The shelf price."),
    "productTaxRateField": ("", "The tax rate in percent."),
    "productActiveCheck": ("", "Unchecked: no longer sold; its sales stay on record."),
    "newProductButton": ("", "Starts a new product."),
    "saveProductButton": ("", "Saves the product."),
    "deactivateProductButton": ("", "Stops selling the product; its sales stay on record."),
    "importCsvButton": ("", "Adds or updates products from a CSV file."),
    "exportCsvButton": ("", "Saves the catalog as a CSV file."),
    "stockLevels": ("Stock levels", "Each product's stock on hand."),
    "lowStockList": ("Low stock", "Products at or below their reorder level."),
    "stockSku": ("Product", "The SKU or barcode of the product counted, received or moved."),
    "stockQuantity": ("", "How many (or kg)."),
    "stockCost": ("Unit cost", "What each cost, for a delivery."),
    "transferTo": ("Transfer to", "The location the stock goes to."),
    "receiveButton": ("", "Adds a delivery to stock."),
    "checkCountButton": ("", "Compares a count with the stock on record."),
    "applyCountButton": ("", "Sets the stock to the count; a manager approves."),
    "transferButton": ("", "Moves stock to another location."),
    # settings (in pages) and About this till
    "settingsPages": ("Settings pages", "Store, Receipt, Payments, Printer, Reader, Staff: the chosen one shows."),
    "closeSettingsButton": ("", "Closes Settings; asks first when there are changes not saved."),
    "keyDetailsButton": ("", "Shows in full why the keyring cannot keep the key."),
    "receiptPreview": ("Receipt preview", "How a receipt prints with these settings."),
    "copyAboutButton": ("", "Copies these details, to send to whoever looks after the till."),
    "apiKeyField": ("Stripe secret key", "Kept in the system keyring, never in a file."),
    "saveKeyButton": ("", "Saves the key to the keyring."),
    "removeKeyButton": ("", "Removes the key: the till runs in demo mode."),
    "storeNameField": ("", "Printed at the top of every receipt."),
    "addressField": ("Address", "Printed under the store name."),
    "currencyField": ("", "The currency of prices and payments."),
    "taxInclusiveCheck": ("", "Checked: shelf prices include tax."),
    "defaultTaxRateField": ("", "The tax rate of a custom amount."),
    "receiptFooterField": ("", "Printed at the end of every receipt."),
    "tillIdField": ("", "This till's name on receipts and reports."),
    "locationField": ("", "Where this till's stock is counted."),
    "timeZoneField": ("Time zone", "The store's time zone, for the day's reports."),
    "cashRounding": ("Cash rounding", "How a cash total is rounded (to the smallest coin)."),
    "idleLockField": ("", "Minutes without a key or a tap before the till locks; 0 never."),
    "discountLimitField": ("", "A larger discount needs a manager's approval."),
    "openPriceLimitField": ("", "A larger typed price needs a manager's approval."),
    "scaleLabelsField": ("Scale labels", "Which barcode prefixes carry a weight or a price."),
    "saveSettingsButton": ("", "Saves the store settings."),
    "printerKind": ("Receipt printer", "None, network, USB, serial or a file."),
    "printerAddress": ("", "Where the printer is reached."),
    "testPrintButton": ("", "Prints a test slip."),
    "readerCodeField": ("Registration code", "The code the card reader shows when it is set up."),
    "readerLocation": ("Reader location", "The Stripe location the reader belongs to."),
    "readerLabelField": ("Reader name", "A name for the reader."),
    "registerReaderButton": ("", "Registers the card reader with Stripe."),
    "refreshReaderButton": ("", "Asks Stripe whether the reader is online."),
    "forgetReaderButton": ("", "Stops using the card reader on this till."),
    "readerTippingCheck": ("", "The customer chooses a tip on the reader before paying."),
}
# Buttons Qt makes (a dialog's button box) have no objectName: described by their text.
STANDARD: dict[str, str] = {
    "Close": "Closes this window.",
    "OK": "Accepts and closes.",
    "Cancel": "Closes without changing anything.",
    "Save": "Saves the changes.",
    "Yes": "Yes.",
    "No": "No.",
}
_NUMBERED = re.compile(r"\d+$")  # quickCash0..3: one entry


def describe(widget: QWidget) -> None:
    """Fill the widget's accessible name and description from the table where it has none."""
    key = _NUMBERED.sub("", widget.objectName())
    name, description = SPOKEN.get(key, ("", ""))
    if not description and isinstance(widget, QAbstractButton) and not widget.objectName():
        description = STANDARD.get(widget.text().replace("&", ""), "")
    if name and not widget.accessibleName():
        widget.setAccessibleName(name)
    if description and not widget.accessibleDescription() and not widget.toolTip():
        widget.setAccessibleDescription(description)


def describe_all(top: QWidget) -> None:
    """The widget and every widget in it (those polished before the window's filter was installed)."""
    for widget in [top, *top.findChildren(QWidget)]:
        describe(widget)

"""Cash: taken at the counter (change given back, the store's cash rounding), refunded from the drawer."""

from pos.domain.tender import TenderKind

from . import RefundRoute, TenderType, register

CASH = register(TenderType(TenderKind.CASH, refund=RefundRoute.DRAWER, outside=False, stored_as=TenderKind.CASH))

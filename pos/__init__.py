"""A desktop point-of-sale till that takes card payments through Stripe."""

__version__ = "0.1.0"

"""fba-audit: find the money Amazon owes FBA sellers in Seller Central report exports."""

__version__ = "0.1.0"

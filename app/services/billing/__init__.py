"""Tax invoices and finance (08-tax-invoice.md). Empty until issue [9/11]."""

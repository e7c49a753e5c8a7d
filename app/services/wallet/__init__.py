"""Money (02-wallet.md): the ledger (the only code that moves won), top-ups and cash
refunds, price plans, statements."""

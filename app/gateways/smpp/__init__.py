"""SMPP 3.4 (10-gateway.md GW-03): the wire side of real SMS delivery. The protocol is
the `smpp34` library's; this package decides what goes on the wire (encoding), reads
what comes back (receipts), holds the binds (session) and plays a local SMSC for tests
and for trying it (smsc)."""

"""What a customer keeps for sending (04-sms.md SMS-08, SMS-12, SMS-13): the address
book, the opt-out list and SMS templates."""

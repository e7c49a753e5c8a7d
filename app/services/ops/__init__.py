"""What staff run the service with: the review queues, RQ's queues, the staff
dashboard's figures, and the demo data."""

"""Driver identity: PRC resident ID numbers, identity-check providers, credit scores and verification records."""

"""Client side of each venue: one subpackage per exchange, registered as plugins."""
